-- The Neovim client's memory buffer: :RecurrentMemory shows the short-term memory, :w sends the edit back
-- (recurrent.setShortTermMemory), and the server's state holds it afterwards.
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local seen = h.capture_notify()
h.setup({ settings = { provider = "offline" } })
local buf, path = h.open_manuscript(h.kStory)

h.test(":RecurrentMemory round trip: edit, :w, and the server keeps the edit", function()
  h.attached(buf)
  local adopted
  require("recurrent.commands").adopt(function(r)
    adopted = r
  end)
  h.wait(function()
    return adopted
  end, 60000, "recurrent.adopt")
  local lsp = require("recurrent.lsp")
  local state = lsp.request_sync(buf, "recurrent/storyState", { uri = vim.uri_from_bufnr(buf) })
  h.truthy(state and state.shortTermMemory and state.shortTermMemory ~= "", "a short-term memory after adopt")

  vim.cmd("RecurrentMemory")
  local mem
  h.wait(function()
    mem = vim.fn.bufnr("recurrent://short-term-memory/story.md")
    return mem ~= -1
  end, 10000, "the memory buffer")
  h.eq(vim.trim(state.shortTermMemory), vim.trim(h.buffer_text(mem)), "the buffer shows the server's short-term memory")
  h.eq("acwrite", vim.api.nvim_buf_get_option(mem, "buftype"), "buftype")
  h.eq("markdown", vim.api.nvim_buf_get_option(mem, "filetype"), "filetype")

  local edited = { "Mara keeps the lighthouse alone.", "She has decided to trust the radio, whatever it costs." }
  vim.api.nvim_buf_set_lines(mem, 0, -1, false, edited)
  h.truthy(vim.api.nvim_buf_get_option(mem, "modified"), "modified after the edit")
  vim.api.nvim_set_current_buf(mem)
  vim.cmd("write")
  h.wait(function()
    return h.notified(seen, "short-term memory saved")
  end, 10000, "the save to reach the server")
  h.eq(false, vim.api.nvim_buf_get_option(mem, "modified"), "not modified after :w")

  local after = lsp.request_sync(buf, "recurrent/storyState", { uri = vim.uri_from_bufnr(buf) })
  h.eq(table.concat(edited, "\n"), vim.trim(after.shortTermMemory), "the server's short-term memory after :w")
  local _ = path
end)

h.finish()
