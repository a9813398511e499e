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

local function map_defaults(bufnr)
  local keys = lsp.opts.mappings
  if type(keys) ~= "table" then
    return
  end
  local commands = require("recurrent.commands")
  local ghost = require("recurrent.ghost")
  local actions = {
    hover = { vim.lsp.buf.hover, "recurrent: the paragraph's memory" },
    outline = { vim.lsp.buf.document_symbol, "recurrent: chapters and scenes" },
    search = {
      function()
        vim.ui.input({ prompt = "Search the memory: " }, function(q)
          if q and vim.trim(q) ~= "" then
            vim.lsp.buf.workspace_symbol(vim.trim(q))
          end
        end)
      end,
      "recurrent: search the memory by meaning",
    },
    actions = { vim.lsp.buf.code_action, "recurrent: continue with a plan, suggest plans" },
    continue = { function() commands.continue() end, "recurrent: write the next paragraph" },
    plans = { function() commands.pick_plan() end, "recurrent: choose the plan" },
    ghost = { function() ghost.request(0) end, "recurrent: the next paragraph as ghost text" },
    accept = {
      function()
        if not ghost.accept() then
          lsp.notify("no ghost text to accept")
        end
      end,
      "recurrent: accept the ghost text",
    },
    cancel = { commands.cancel, "recurrent: cancel" },
  }
  for name, lhs in pairs(keys) do
    local a = actions[name]
    -- maparg() sees the writer's own global and buffer mappings: those stay.
    if a and type(lhs) == "string" and lhs ~= "" and vim.fn.maparg(lhs, "n") == "" then
      vim.keymap.set("n", lhs, a[1], { buffer = bufnr, desc = a[2] })
    end
  end
end

local function refresh_codelens(bufnr)
  if lsp.opts.codelens and vim.lsp.codelens and vim.api.nvim_get_current_buf() == bufnr and lsp.client(bufnr) then
    pcall(vim.lsp.codelens.refresh)
  end
end

--- What a manuscript buffer gets once its server is attached: cancel on unload, default keys, the code lens.
local function on_attached(bufnr)
  require("recurrent.commands").cancel_on_unload(bufnr)
  map_defaults(bufnr)
  if lsp.opts.codelens then
    vim.api.nvim_create_autocmd({ "CursorHold", "BufEnter" }, {
      group = vim.api.nvim_create_augroup("RecurrentLens" .. bufnr, { clear = true }),
      buffer = bufnr,
      callback = function()
        refresh_codelens(bufnr)
      end,
    })
  end
end

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
        on_attached(args.buf)
      end
    end,
  })
  -- The plans change after each step (and adopt): refresh the lens when the server is idle again.
  vim.api.nvim_create_autocmd("User", {
    group = group,
    pattern = "RecurrentStatus",
    callback = function()
      local s = lsp.status[(lsp.client(0) or { config = {} }).config.root_dir]
      if s and s.state == "idle" then
        refresh_codelens(vim.api.nvim_get_current_buf())
      end
    end,
  })
  -- Buffers already open when setup() runs (e.g. `nvim story.md` with a lazy-loaded plugin).
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.api.nvim_buf_get_option(buf, "buftype") == "" then
      local ft = vim.api.nvim_buf_get_option(buf, "filetype")
      if vim.tbl_contains(lsp.opts.filetypes, ft) and lsp.attach(buf) then
        on_attached(buf)
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
