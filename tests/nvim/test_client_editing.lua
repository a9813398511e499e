-- The Neovim client keeps the text and the story's memory in step: a streamed continuation is one undo step and
-- prints no message per piece, :bd! mid-stream leaves the file and the state as they were, a refused second
-- continuation leaves the first cancellable, undoing a step's text with `u` offers the state's undo, ghost text
-- is drawn as wrapped virtual lines and never inserted once stale, and the plugin's own views get no server.
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local seen = h.capture_notify()
local lsp = require("recurrent.lsp")
local ghost = require("recurrent.ghost")
local ns = vim.api.nvim_create_namespace("recurrent_ghost")

-- vim.ui.select answers what `choose` picks (nothing by default): Neovim's own would block in inputlist().
local choose = function()
  return nil
end
local offers = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(offers, { items = items, prompt = opts.prompt })
  on_choice(choose(items))
end

local function clear_notes()
  for i = #seen, 1, -1 do
    seen[i] = nil
  end
end

local function state(buf)
  return lsp.request_sync(buf, "recurrent/storyState", { uri = vim.uri_from_bufnr(buf) })
end

--- Opens the story with the fake model (chunk delay in ms) and waits for its memory.
local function open_story(delay_ms)
  local base_url, base = h.model_server({ "--chunk-delay-ms", tostring(delay_ms or 2) })
  h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model", streaming = true,
                          undoStepWithText = "ask" } })
  local buf, path = h.open_manuscript(h.kStory)
  h.attached(buf)
  h.adopt(buf)
  h.wait(function()
    local s = state(buf)
    return s and not s.busy and #s.plans == 3
  end, 30000, "the manuscript's memory and plans")
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  return buf, path, base
end

h.test("a streamed continuation is one undo step, with one progress message and one final message", function()
  local buf, _, base = open_story()
  local before = h.buffer_text(buf)
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  vim.cmd("messages clear")
  clear_notes()
  vim.cmd("RecurrentContinue")
  h.wait(function()
    return h.notified(seen, "paragraph written: step ")
  end, 60000, "the continuation's final message")
  h.contains(h.buffer_text(buf), "from the test model", "the streamed paragraph")
  h.truthy(vim.api.nvim_buf_get_changedtick(buf) - tick > 3, "the paragraph arrived in several pieces")
  local messages = vim.fn.execute("messages")
  h.eq(nil, messages:find("Workspace edit", 1, true), "a 'Workspace edit' line in :messages")
  local texts = {}
  for _, n in ipairs(seen) do
    table.insert(texts, n.msg)
  end
  h.eq(2, #seen, "messages for one continuation (" .. table.concat(texts, " | ") .. ")")
  h.truthy(h.notified(seen, "writing the next paragraph (:RecurrentCancel stops it)"), "the progress message")
  h.eq(nil, h.notified(seen, "recurrent: Recurrent:"), "a doubled prefix")
  vim.cmd("normal! u")
  h.eq(before, h.buffer_text(buf), "the buffer after one u")
  h.truthy((h.model_requests(base)["/v1/chat/completions"] or 0) >= 1, "the model was called")
end)

h.test("undoing the paragraph with u offers 'Undo step'; choosing it restores the story's memory", function()
  local buf = open_story()
  local before = state(buf)
  local offered
  choose = function(items)
    offered = { items = items }
    return items[1]
  end
  h.defer(function()
    choose = function()
      return nil
    end
  end)
  clear_notes()
  vim.cmd("RecurrentContinue")
  h.wait(function()
    return h.notified(seen, "paragraph written: step ")
  end, 60000, "the continuation")
  h.eq(before.step + 1, state(buf).step, "the step after the continuation")
  vim.cmd("normal! u")
  h.wait(function()
    return offered ~= nil
  end, 10000, "the offer to undo the step")
  h.contains(offered.items[1].title, "Undo step", "the offer's first action")
  h.wait(function()
    return state(buf).step == before.step
  end, 10000, "the state back at the step before")
  h.eq(before.shortTermMemory, state(buf).shortTermMemory, "the short-term memory")
end)

h.test(":bd! mid-stream leaves the file and the story's state as they were, and loads no hidden buffer", function()
  local buf, path = open_story(60)
  local before = state(buf)
  local text = h.buffer_text(buf)
  local on_disk = vim.fn.readfile(path)
  clear_notes()
  vim.cmd("RecurrentContinue")
  h.wait(function()
    return #h.buffer_text(buf) > #text
  end, 30000, "part of the paragraph in the buffer")
  vim.cmd("bdelete! " .. buf)
  vim.wait(1500)
  h.eq(0, vim.fn.bufloaded(path), "a buffer loaded for the closed file")
  h.eq(on_disk, vim.fn.readfile(path), "the file on disk")
  h.eq(nil, h.notified(seen, "paragraph written"), "a step reported")
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local reopened = vim.api.nvim_get_current_buf()
  h.attached(reopened)
  local after
  h.wait(function()
    after = state(reopened)
    return after and not after.busy
  end, 20000, "the reopened buffer's state")
  h.eq(before.step, after.step, "the step")
  h.eq(before.shortTermMemory, after.shortTermMemory, "the short-term memory")
  h.eq(before.counts.memoryEntries, after.counts.memoryEntries, "the memory entries")
end)

h.test("a refused second continuation leaves the first one cancellable", function()
  local buf = open_story(60)
  local text = h.buffer_text(buf)
  clear_notes()
  vim.cmd("RecurrentContinue")
  h.wait(function()
    return #h.buffer_text(buf) > #text
  end, 30000, "the first continuation streaming")
  vim.cmd("RecurrentContinue")
  vim.wait(5000, function()
    return h.notified(seen, "already running") ~= nil
  end, 20)
  h.truthy(h.notified(seen, "already running"), "the refusal shown")
  vim.cmd("RecurrentCancel")
  h.truthy(h.notified(seen, "cancelling"), "the cancel reached the first continuation")
  vim.wait(15000, function()
    return h.buffer_text(buf) == text
  end, 20)
  h.eq(text, h.buffer_text(buf), "the buffer after the cancel")
end)

h.test("ghost text: wrapped virtual lines below the cursor line; stale results and stale accepts insert nothing", function()
  local buf = open_story()
  local before = h.buffer_text(buf)
  local row = vim.api.nvim_win_get_cursor(0)[1]
  vim.cmd("RecurrentGhost")
  h.wait(function()
    return ghost.current() ~= nil
  end, 60000, "ghost text")
  local marks = vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })
  h.eq(1, #marks, "ghost extmarks")
  local d = marks[1][4]
  h.eq(row - 1, marks[1][2], "the extmark's row (the cursor line)")
  h.eq(nil, d.virt_text, "end-of-line virtual text")
  h.truthy(d.virt_lines and #d.virt_lines >= 2, "virtual lines")
  local width = vim.api.nvim_win_get_width(0)
  local all = {}
  for _, l in ipairs(d.virt_lines) do
    h.truthy(vim.fn.strdisplaywidth(l[1][1]) < width, "a virtual line within the window: " .. l[1][1])
    table.insert(all, l[1][1])
  end
  h.contains(table.concat(all, " "), "from the test model", "the ghost paragraph")
  h.eq("", all[1], "a blank line before the ghost paragraph (it starts a paragraph)")
  -- Accept after the cursor moved (no CursorMoved in headless Neovim): nothing is inserted.
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  h.eq(false, ghost.accept(), "accepting stale ghost text")
  h.eq(before, h.buffer_text(buf), "the buffer after a stale accept")
  -- A result arriving after the cursor moved is dropped.
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.cmd("RecurrentGhost")
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  h.wait(function()
    return not ghost.is_pending()
  end, 60000, "the ghost-text request to end")
  h.eq(0, #vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, {}), "ghost extmarks after moving away")
  h.eq(nil, ghost.current(), "ghost text after moving away")
  -- :RecurrentCancel also cancels a pending ghost request.
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.cmd("RecurrentGhost")
  h.truthy(ghost.is_pending(), "a pending ghost request")
  clear_notes()
  vim.cmd("RecurrentCancel")
  h.truthy(h.notified(seen, "cancelling"), "cancel found the ghost request")
  h.eq(false, ghost.is_pending(), "pending after cancel")
  h.eq(before, h.buffer_text(buf), "the buffer")
end)

h.test("buffer-local default keys that keep the writer's own mappings, and the plans' code lens without asking", function()
  vim.keymap.set("n", "<localleader>c", "<Nop>") -- the writer's own mapping
  local buf = open_story()
  local hover = vim.fn.maparg("K", "n", false, true)
  h.eq(1, hover.buffer, "K is buffer-local")
  h.contains(hover.desc or "", "memory", "K's description")
  h.eq("<Nop>", vim.fn.maparg("<localleader>c", "n"), "the writer's <localleader>c")
  h.truthy(vim.fn.maparg("<localleader>o", "n") ~= "", "the outline key")
  h.wait(function()
    return #vim.lsp.codelens.get(buf) >= 1
  end, 15000, "the plans' code lens")
  vim.keymap.del("n", "<localleader>c")
end)

h.test("the plugin's memory and prompt views start no server and are not manuscripts", function()
  local buf = open_story()
  local clients = #lsp.all_clients()
  local opened
  require("recurrent.commands").memory(function(b)
    opened = b
  end)
  h.wait(function()
    return opened ~= nil
  end, 10000, "the memory view")
  vim.wait(300)
  h.eq(nil, lsp.client(opened), "a client attached to the memory view")
  h.eq(clients, #lsp.all_clients(), "recurrent clients")
  vim.cmd("close")
  vim.api.nvim_set_current_buf(buf)
end)

h.finish()
