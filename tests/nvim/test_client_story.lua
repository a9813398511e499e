-- The Neovim client starts a story and steps back: :RecurrentNewStory (answers through vim.ui.input) writes an
-- opening into an empty buffer, :RecurrentContinue adds a step, :RecurrentUndo restores the memory before it.
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local seen = h.capture_notify()
h.setup({ settings = { provider = "offline" } })

h.test(":RecurrentNewStory writes an opening into the empty buffer; empty optional answers (nil on 0.7) are fine", function()
  local buf = h.open_manuscript("")
  h.attached(buf)
  -- Neovim 0.7's vim.ui.input answers nil for an empty line: the optional premise and language are left empty.
  local answers = { "science fiction", "a lighthouse keeper hears her own voice on the radio", nil, nil }
  local asked = 0
  local prompts = {}
  vim.ui.input = function(opts, on_confirm)
    table.insert(prompts, opts.prompt)
    asked = asked + 1
    local a = answers[asked]
    vim.schedule(function()
      on_confirm(a)
    end)
  end
  local modes
  vim.ui.select = function(items, opts, on_choice)
    modes = items
    vim.schedule(function()
      on_choice(items[2]) -- interactive fiction
    end)
  end
  vim.cmd("RecurrentNewStory")
  h.wait(function()
    return h.notified(seen, "started ")
  end, 60000, "the new story's title")
  h.eq({ "Genre: ", "Topic: ", "Premise (optional): ", "Language (optional): " }, prompts, "the questions asked")
  h.eq({ "novel", "interactive" }, { modes[1].mode, modes[2].mode }, "the modes offered")
  h.truthy(#vim.trim(h.buffer_text(buf)) > 50, "an opening in the buffer:\n" .. h.buffer_text(buf))
  local s = require("recurrent.lsp").request_sync(buf, "recurrent/storyState", { uri = vim.uri_from_bufnr(buf) })
  h.eq("interactive", s.mode, "the story's mode")
end)

h.test(":RecurrentNewStory refuses a buffer that already holds text", function()
  h.open_manuscript("Some text already.")
  h.attached()
  vim.cmd("RecurrentNewStory")
  h.truthy(h.notified(seen, "open an empty Markdown file"), "the refusal")
end)

h.test(":RecurrentUndo restores the memory to before the last step", function()
  local buf = h.open_manuscript(h.kStory)
  h.attached(buf)
  local lsp = require("recurrent.lsp")
  local uri = vim.uri_from_bufnr(buf)
  local adopted
  require("recurrent.commands").adopt(function(r)
    adopted = r
  end)
  h.wait(function()
    return adopted
  end, 60000, "recurrent.adopt")
  local before = lsp.request_sync(buf, "recurrent/storyState", { uri = uri })
  local written
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  require("recurrent.commands").continue(nil, function(r)
    written = r
  end)
  h.wait(function()
    return written
  end, 60000, "a step")
  local during = lsp.request_sync(buf, "recurrent/storyState", { uri = uri })
  h.eq((before.step or 0) + 1, during.step, "one step more")
  vim.cmd("RecurrentUndo")
  h.wait(function()
    return h.notified(seen, "memory restored to step")
  end, 30000, "the undo")
  local after = lsp.request_sync(buf, "recurrent/storyState", { uri = uri })
  h.eq(before.step, after.step, "the step count after undo")
end)

h.finish()
