-- recurrent: co-write long stories in Neovim with `recurrent lsp` (RecurrentGPT as a language server).
--
--   require("recurrent").setup({})            -- offline, `recurrent` on PATH
--   require("recurrent").setup({ settings = { baseUrl = "http://localhost:11434/v1", model = "llama3.1" } })
--
-- setup() attaches the server to Markdown and text buffers (one client per root) and defines the :Recurrent*
-- commands and <Plug>(recurrent-*) mappings. See clients/neovim/README.md.
local config = require("recurrent.config")
local lsp = require("recurrent.lsp")

local M = {}

--- Configures the plugin (calling it again replaces the options). opts: see recurrent.config.defaults.
function M.setup(opts)
  lsp.opts = config.merge(opts)
  vim.api.nvim_set_hl(0, "RecurrentGhost", { link = "Comment", default = true })
  require("recurrent.commands").define()
  local group = vim.api.nvim_create_augroup("Recurrent", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = lsp.opts.filetypes,
    callback = function(args)
      if vim.api.nvim_buf_get_option(args.buf, "buftype") == "" and lsp.attach(args.buf) then
        require("recurrent.ghost").enable_native(args.buf)
        require("recurrent.commands").cancel_on_unload(args.buf)
      end
    end,
  })
  -- Buffers already open when setup() runs (e.g. `nvim story.md` with a lazy-loaded plugin).
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.api.nvim_buf_get_option(buf, "buftype") == "" then
      local ft = vim.api.nvim_buf_get_option(buf, "filetype")
      if vim.tbl_contains(lsp.opts.filetypes, ft) and lsp.attach(buf) then
        require("recurrent.commands").cancel_on_unload(buf)
      end
    end
  end
end

--- A statusline component for the current buffer, under 40 characters: provider, memory size and what the server
--- is doing ("offline · 84 mem · writing"). opts.model = true adds the model's name.
function M.statusline(opts)
  local c = lsp.client(0)
  if not c then
    return ""
  end
  local s = lsp.status[c.config.root_dir]
  if not s then
    return "recurrent"
  end
  local parts = { s.provider or "offline" }
  if opts and opts.model and s.model and s.model ~= "" then
    table.insert(parts, s.model)
  end
  if s.memoryEntries then
    table.insert(parts, s.memoryEntries .. " mem")
  end
  if s.state and s.state ~= "idle" then
    table.insert(parts, s.state)
  end
  return table.concat(parts, " · ")
end

return M
