-- The Neovim client writes: :RecurrentContinue with the offline provider and with the fake model server,
-- progress and messages as notifications, and ghost text accepted with <Plug>(recurrent-accept).
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local seen = h.capture_notify()

h.test(":RecurrentContinue offline appends a paragraph after the manuscript", function()
  h.setup({ settings = { provider = "offline" } })
  local buf = h.open_manuscript(h.kStory)
  h.attached(buf)
  local before = h.buffer_text(buf)
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  vim.cmd("RecurrentContinue")
  h.wait(function()
    return h.notified(seen, "paragraph written: step ")
  end, 60000, "the continuation's result (a 'step N' notification)")
  local after = h.buffer_text(buf)
  h.truthy(#after > #before + 20, "the buffer grew by a paragraph")
  h.eq(before, after:sub(1, #before), "the manuscript before the new text is untouched")
  h.truthy(h.notified(seen, "(:RecurrentCancel stops it)"), "a progress notification said how to cancel")
  h.wait(function()
    return require("recurrent").statusline():find("offline", 1, true)
  end, 10000, "recurrent/status to reach the statusline component")
end)

h.test(":RecurrentCancel stops a paragraph midway: the partial text goes, nothing is committed", function()
  local base_url = h.model_server({ "--chunk-delay-ms", "150" })
  h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model", streaming = true } })
  local buf = h.open_manuscript(h.kStory)
  h.attached(buf)
  local lsp = require("recurrent.lsp")
  local uri = vim.uri_from_bufnr(buf)
  local before_state = lsp.request_sync(buf, "recurrent/storyState", { uri = uri })
  local before = h.buffer_text(buf)
  for i = #seen, 1, -1 do
    seen[i] = nil
  end
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  vim.cmd("RecurrentContinue")
  h.wait(function()
    return h.notified(seen, "(:RecurrentCancel stops it)")
  end, 30000, "the continuation's progress to begin")
  vim.wait(600) -- let some of the stream arrive
  vim.cmd("RecurrentCancel")
  h.wait(function()
    return h.buffer_text(buf) == before
  end, 15000, "the partial paragraph to be removed")
  vim.wait(500)
  h.eq(nil, h.notified(seen, "paragraph written"), "no step reported")
  local after_state = lsp.request_sync(buf, "recurrent/storyState", { uri = uri })
  h.eq(before_state.step, after_state.step, "the step count after cancel")
end)

h.test(":RecurrentContinue with a plan writes the fake model's paragraph", function()
  local base_url, base = h.model_server()
  h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model", embedModel = "test-embed" } })
  local buf = h.open_manuscript(h.kStory)
  h.attached(buf)
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  for i = #seen, 1, -1 do
    seen[i] = nil
  end
  vim.cmd("RecurrentContinue Mara follows the footprints to the harbour.")
  h.wait(function()
    return h.buffer_text(buf):find("from the test model", 1, true)
  end, 60000, "the fake model's paragraph in the buffer")
  h.wait(function()
    return h.notified(seen, "paragraph written: step ")
  end, 30000, "the step's result")
  local requests = h.model_requests(base)
  h.truthy((requests["/v1/chat/completions"] or 0) >= 1, "the model server got a chat completion")
end)

h.test("ghost text: shown as virtual lines, cleared on cursor move, accepted with <Plug>(recurrent-accept)", function()
  local base_url = h.model_server()
  h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model" } })
  local buf = h.open_manuscript(h.kStory)
  h.attached(buf)
  local ghost = require("recurrent.ghost")
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_win_set_cursor(0, { last, 0 })
  local before = h.buffer_text(buf)
  vim.cmd("RecurrentGhost")
  h.wait(function()
    return ghost.current() ~= nil
  end, 60000, "ghost text from textDocument/inlineCompletion")
  local marks = vim.api.nvim_buf_get_extmarks(buf, vim.api.nvim_create_namespace("recurrent_ghost"), 0, -1, { details = true })
  h.eq(1, #marks, "one extmark")
  h.truthy(marks[1][4].virt_lines or marks[1][4].virt_text, "drawn as virtual text")
  h.eq(before, h.buffer_text(buf), "ghost text does not change the buffer")
  -- Moving the cursor dismisses it (headless Neovim fires CursorMoved only from its input loop: fire it here).
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  vim.cmd("doautocmd <nomodeline> CursorMoved")
  h.wait(function()
    return #vim.api.nvim_buf_get_extmarks(buf, vim.api.nvim_create_namespace("recurrent_ghost"), 0, -1, {}) == 0
  end, 2000, "the ghost text to clear on cursor move")
  h.eq(nil, ghost.current(), "no ghost text after the move")
  -- Ask again and accept.
  vim.api.nvim_win_set_cursor(0, { last, 0 })
  vim.cmd("RecurrentGhost")
  h.wait(function()
    return ghost.current() ~= nil
  end, 60000, "ghost text again")
  local text = ghost.current().text
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<Plug>(recurrent-accept)", true, false, true), "x", false)
  h.wait(function()
    return h.buffer_text(buf):find(vim.trim(text):sub(1, 40), 1, true)
  end, 5000, "the accepted text in the buffer")
  h.wait(function()
    return h.notified(seen, "committed")
  end, 30000, "recurrent.acceptInline to commit the step")
end)

h.finish()
