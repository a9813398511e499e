-- The model's continuity check in Neovim, end to end: a continuation whose paragraph contradicts the story
-- bible (the fake model server is scripted to say so when it checks it) becomes a vim.diagnostic after the
-- step; its quick fix replaces only the quoted words, and "record a fact" makes the text canon, so the
-- diagnostic goes.
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local kExplanation = "The bible says no storm ever reaches the lighthouse."
local kIssue = vim.json.encode({
  quote = "the storm leaned on the windows", -- in every paragraph the fake model writes
  subtype = "world-building",
  source = "Mara",
  sourceQuote = "no storm ever reaches the lighthouse",
  explanation = kExplanation,
  replacement = "the wind leaned on the windows",
})

local function finding(bufnr)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == "recurrent" and d.message == kExplanation then
      return d
    end
  end
end

local function actions_at(bufnr, d)
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = {} } }
  local client = h.attached(bufnr)
  local answers = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
  return answers[client.id].result or {}, client
end

h.test("a contradicting continuation is a diagnostic after its step; the fix and record a fact each clear it", function()
  local base_url = h.model_server({ "--check-issue", kIssue })
  h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model" } })
  -- The bible is there before the story opens (Neovim 0.7 does not tell the server of new files).
  local dir = h.tmpdir()
  vim.fn.mkdir(dir .. "/story.bible", "p")
  vim.fn.writefile({ "---", "type: character", "---", "# Mara", "", "The keeper.", "",
    "- weather: no storm ever reaches the lighthouse" }, dir .. "/story.bible/mara.md")
  vim.fn.writefile(vim.split(h.kStory, "\n", { plain = true }), dir .. "/story.md")
  vim.cmd("edit " .. vim.fn.fnameescape(dir .. "/story.md"))
  local b = vim.api.nvim_get_current_buf()
  h.attached(b)
  h.adopt(b)
  h.eq(nil, finding(b), "no finding before the step")

  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(b), 0 })
  local written
  require("recurrent.commands").continue(nil, function(r)
    written = r
  end)
  h.wait(function()
    return written
  end, 60000, "the continuation")
  local d
  h.wait(function()
    d = finding(b)
    return d
  end, 30000, "the model's finding on the new paragraph (checked once Neovim's didChange brought it)")
  h.eq(vim.diagnostic.severity.WARN, d.severity, "a contradiction of the bible is a warning")
  local line = vim.api.nvim_buf_get_lines(b, d.lnum, d.lnum + 1, false)[1]
  h.eq("the storm leaned on the windows", line:sub(d.col + 1, d.end_col), "the range is the quote")

  -- "Use ‘…’" replaces only the quoted words.
  local actions, client = actions_at(b, d)
  local fix, canon
  for _, a in ipairs(actions) do
    if a.title == "Use ‘the wind leaned on the windows’" then
      fix = a
    elseif a.title:find("This changed here: record a fact", 1, true) == 1 then
      canon = a
    end
  end
  h.truthy(fix and canon, "both quick fixes offered")
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
  local fixed = vim.api.nvim_buf_get_lines(b, d.lnum, d.lnum + 1, false)[1]
  h.eq(line:sub(1, d.col) .. "the wind leaned on the windows" .. line:sub(d.end_col + 1), fixed, "only the quote changed")
  h.wait(function()
    return finding(b) == nil
  end, 20000, "the finding gone once its paragraph changed")

  -- Back to the model's words (typed back: in a script, undo would take the step along): the cache knows
  -- the finding again. Recording a fact makes them canon.
  vim.api.nvim_buf_set_text(b, d.lnum, d.col, d.lnum, d.col + #"the wind leaned on the windows",
    { "the storm leaned on the windows" })
  h.wait(function()
    return finding(b) ~= nil
  end, 20000, "the finding back with the words")
  vim.lsp.util.apply_workspace_edit(canon.edit, client.offset_encoding)
  h.contains(h.buffer_text(b), "<!-- fact: Mara", "the fact comment in the chapter")
  h.wait(function()
    return finding(b) == nil
  end, 20000, "the finding gone once the fact is recorded")
end)

h.finish()
