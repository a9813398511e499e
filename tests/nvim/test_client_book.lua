-- A folder of chapter files as one book in Neovim: :RecurrentMakeBook once, then every chapter shares one
-- server, one memory and one step counter; :RecurrentBook lists the chapters; :RecurrentNewChapter opens the next.
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local seen = h.capture_notify()
h.setup({ settings = { provider = "offline" } })

local function write(path, lines)
  vim.fn.writefile(lines, path)
end

h.test(":RecurrentMakeBook makes the folder one book: chapter 3 continues it, :RecurrentBook lists it", function()
  local dir = h.tmpdir()
  write(dir .. "/01-arrival.md", {
    "# Arrival", "",
    "Mara kept the lighthouse on the north cape. Every night she climbed the stairs and lit the lamp.", "",
    "One evening a stranger rowed in from the fog and handed her a letter sealed with green wax.",
  })
  write(dir .. "/02-letter.md", {
    "# The Letter", "",
    "Mara broke the green wax by the lamp. The letter spoke of a ship that sailed north and never came home.",
  })
  write(dir .. "/03-storm.md", {
    "# The Storm", "",
    "Old Ines kept a copper kettle on her stove and told the children about the great storm.",
  })
  vim.cmd("edit " .. vim.fn.fnameescape(dir .. "/01-arrival.md"))
  local first = vim.api.nvim_get_current_buf()
  local client = h.attached(first)
  vim.cmd("RecurrentMakeBook")
  h.wait(function()
    return h.notified(seen, "this folder is a book now: 4 paragraphs")
  end, 60000, "the book made")
  h.truthy(vim.fn.isdirectory(dir .. "/.recurrent/book") == 1, "the book's state folder")

  vim.cmd("edit " .. vim.fn.fnameescape(dir .. "/03-storm.md"))
  local third = vim.api.nvim_get_current_buf()
  h.eq(client.id, h.attached(third).id, "one server for the book's chapters")
  local lsp = require("recurrent.lsp")
  local written
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(third), 0 })
  require("recurrent.commands").continue(nil, function(r)
    written = r
  end)
  h.wait(function()
    return written
  end, 60000, "a step in chapter 3")
  local s = lsp.request_sync(first, "recurrent/storyState", { uri = vim.uri_from_bufnr(first) })
  h.eq(1, s.step, "chapter 1 sees the step written in chapter 3")
  h.eq(3, #s.book.chapters, "three chapters")

  vim.cmd("RecurrentBook")
  h.wait(function()
    return #vim.fn.getqflist() == 3
  end, 20000, "the chapters in the quickfix list")
  local items = vim.fn.getqflist()
  h.contains(items[1].text, "1. Arrival", "the first chapter")
  h.contains(items[3].text, "3. The Storm", "the third chapter")
  vim.cmd("cclose")

  vim.cmd("RecurrentNewChapter The Flood")
  h.wait(function()
    return vim.api.nvim_buf_get_name(0):match("04%-the%-flood%.md$") ~= nil
  end, 20000, "the new chapter opened")
  h.eq({ "# The Flood" }, vim.api.nvim_buf_get_lines(0, 0, -1, false), "its heading")
end)

h.finish()
