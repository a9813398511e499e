-- recurrent.commands: the user commands (:RecurrentContinue, :RecurrentPlans, …) as calls to the server's
-- workspace/executeCommand and custom requests (docs/LSP.md), plus the memory and prompt scratch buffers.
--
-- No story logic here: the server decides, this module asks and shows. Main loop only.
local lsp = require("recurrent.lsp")

local M = {}

local running = {} -- bufnr -> request handle of the continuation in flight (for :RecurrentCancel)

local function uri(bufnr)
  return vim.uri_from_bufnr(bufnr)
end

--- The manuscript buffer a command acts on: the current one, which must be attached (attaching it if needed).
local function manuscript()
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_get_name(bufnr) == "" then
    lsp.notify("save the manuscript to a file first (:w story.md)", vim.log.levels.WARN)
    return nil
  end
  if not lsp.ensure(bufnr) then
    return nil
  end
  return bufnr
end

local function position(bufnr)
  local c = lsp.client(bufnr)
  return vim.lsp.util.make_position_params(0, c and c.offset_encoding or "utf-16").position
end

--- Runs recurrent.continue with args (uri and position filled in); on_done(result) is optional.
function M.continue(args, on_done)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  args = vim.tbl_extend("keep", args or {}, { uri = uri(bufnr), position = position(bufnr) })
  local handle
  local function finished()
    if running[bufnr] == handle then
      running[bufnr] = nil
    end
  end
  -- The server refuses a second continuation while one runs: the live handle stays the one :RecurrentCancel
  -- stops. Its progress end says "paragraph written: step N, W words", so the result adds no message.
  handle = lsp.execute(bufnr, "recurrent.continue", args, function(r)
    finished()
    if on_done then
      on_done(r)
    end
  end, function(err)
    finished()
    lsp.report_error(err)
  end)
  if handle and not (running[bufnr] and not running[bufnr].done) then
    running[bufnr] = handle
  end
end

--- Stops what recurrent does for the current buffer: the continuation, a pending ghost text, and every other
--- cancellable job of its server (adopting, suggesting plans, reading the manuscript).
function M.cancel()
  local bufnr = vim.api.nvim_get_current_buf()
  local stopped = lsp.cancel(running[bufnr])
  stopped = require("recurrent.ghost").cancel_pending() or stopped
  local c = lsp.client(bufnr)
  if c and lsp.cancel_progress(c) > 0 then
    stopped = true
  end
  if stopped then
    lsp.notify("cancelling: partial text is removed and nothing is committed")
  else
    lsp.notify("nothing to cancel: recurrent is not working on this buffer")
  end
end

--- Cancels the buffer's continuation when it is unloaded or deleted (:bd!, :q on its last window).
function M.cancel_on_unload(bufnr)
  vim.api.nvim_create_autocmd({ "BufUnload", "BufDelete" }, {
    group = vim.api.nvim_create_augroup("RecurrentUnload" .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = function()
      lsp.cancel(running[bufnr])
      running[bufnr] = nil
    end,
  })
end

--- The plan picker: the current plans (or `plans`), an "edit one first" entry, "write my own" and "suggest".
function M.pick_plan(plans, on_done)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  local mode -- "interactive": the plans are the reader's choices, and the picker says so
  local function choose(list)
    list = list or {}
    local items = {}
    for i, p in ipairs(list) do
      table.insert(items, { kind = "plan", index = i - 1, text = p })
    end
    if #list > 0 then
      table.insert(items, { kind = "edit" })
    end
    table.insert(items, { kind = "own" })
    table.insert(items, { kind = "suggest" })
    vim.ui.select(items, {
      prompt = mode == "interactive" and "What does the reader choose?" or "Plan for the next paragraph",
      kind = "recurrent.plan",
      format_item = function(item) -- vim.ui.select numbers the entries itself
        if item.kind == "plan" then
          return (item.text:gsub("%s+", " "))
        elseif item.kind == "edit" then
          return "Edit a plan first…"
        elseif item.kind == "own" then
          return "Write my own plan…"
        end
        return "Suggest new plans"
      end,
    }, function(item)
      if not item then
        return
      end
      if item.kind == "plan" then
        M.continue({ planIndex = item.index }, on_done)
      elseif item.kind == "suggest" then
        lsp.execute(bufnr, "recurrent.suggestPlans", { uri = uri(bufnr) }, function(r)
          choose(r and r.plans)
        end)
      elseif item.kind == "own" then
        vim.ui.input({ prompt = "Plan: " }, function(text)
          if text and vim.trim(text) ~= "" then
            M.continue({ plan = vim.trim(text) }, on_done)
          end
        end)
      else
        vim.ui.select(list, {
          prompt = "Edit which plan?",
          format_item = function(p)
            return (p:gsub("%s+", " "))
          end,
        }, function(p, idx)
          if not p then
            return
          end
          vim.ui.input({ prompt = "Plan: ", default = p }, function(text)
            if not text or vim.trim(text) == "" then
              return
            end
            if vim.trim(text) == vim.trim(p) then
              M.continue({ planIndex = idx - 1 }, on_done)
            else
              M.continue({ plan = vim.trim(text) }, on_done)
            end
          end)
        end)
      end
    end)
  end
  if plans then
    choose(plans)
  else
    lsp.request(bufnr, "recurrent/storyState", { uri = uri(bufnr) }, function(s)
      mode = s and s.mode
      choose(s and s.plans)
    end)
  end
end

function M.suggest()
  local bufnr = manuscript()
  if bufnr then
    lsp.execute(bufnr, "recurrent.suggestPlans", { uri = uri(bufnr) }, function(r)
      M.pick_plan(r and r.plans)
    end)
  end
end

--- Runs an adopting command (recurrent.adopt, recurrent.makeBook) on this manuscript; `message` gets the count.
local function adopt_with(command, message, on_done)
  local bufnr = manuscript()
  if bufnr then
    lsp.execute(bufnr, command, { uri = uri(bufnr) }, function(r)
      lsp.notify(string.format(message, r and r.paragraphs or 0))
      if on_done then
        on_done(r)
      end
    end)
  end
end

function M.adopt(on_done)
  adopt_with("recurrent.adopt", "adopted %d paragraphs; :RecurrentPlans to choose the next one", on_done)
end

--- The folder holding this file becomes a book (one memory for all its chapters), adopted once.
function M.make_book(on_done)
  adopt_with("recurrent.makeBook", "this folder is a book now: %d paragraphs; :RecurrentBook lists its chapters", on_done)
end

--- Creates the book's next chapter file (optional title) and opens it.
function M.new_chapter(title, on_done)
  local bufnr = manuscript()
  if bufnr then
    local args = { uri = uri(bufnr) }
    if title and title ~= "" then
      args.title = title
    end
    lsp.execute(bufnr, "recurrent.newChapter", args, function(r)
      if r and r.uri then
        vim.cmd("edit " .. vim.fn.fnameescape(vim.uri_to_fname(r.uri)))
        lsp.notify("new chapter " .. (r.file or ""))
      end
      if on_done then
        on_done(r)
      end
    end)
  end
end

--- The book's chapters in the quickfix list (title, paragraphs, words, summary); <CR> opens one.
function M.book(on_done)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  lsp.request(bufnr, "recurrent/bookOutline", { uri = uri(bufnr) }, function(o)
    local items = {}
    for i, c in ipairs(o and o.chapters or {}) do
      table.insert(items, {
        filename = vim.uri_to_fname(c.uri),
        lnum = 1,
        text = string.format("%d. %s (%d paragraphs, %d words) %s", i, c.title or c.file, c.paragraphs or 0,
          c.words or 0, c.summary or ""),
      })
    end
    vim.fn.setqflist({}, " ", { title = "recurrent: book " .. vim.fn.fnamemodify(o and o.root or "", ":t"), items = items })
    vim.cmd("copen")
    if on_done then
      on_done(o)
    end
  end)
end

--- Runs textDocument/references at `position` of `target` (a uri) and puts the locations in the quickfix list.
--- The code lens on a bible entry (recurrent.bibleReferences) and :RecurrentBible! use it.
function M.references(bufnr, target, position, title, on_done)
  local params = { textDocument = { uri = target }, position = position, context = { includeDeclaration = false } }
  lsp.request(bufnr, "textDocument/references", params, function(refs)
    local c = lsp.client(bufnr)
    local items = vim.lsp.util.locations_to_items(refs or {}, c and c.offset_encoding or "utf-16")
    vim.fn.setqflist({}, " ", { title = title, items = items })
    if #items > 0 then
      vim.cmd("copen")
    else
      lsp.notify("no mentions in the book's chapters")
    end
    if on_done then
      on_done(items)
    end
  end)
end

--- The entry of `entries` called `name` (its name or an alias, any case), if any.
local function find_entry(entries, name)
  local wanted = vim.fn.tolower(name)
  for _, e in ipairs(entries) do
    if vim.fn.tolower(e.name) == wanted then
      return e
    end
    for _, a in ipairs(type(e.aliases) == "table" and e.aliases or {}) do
      if vim.fn.tolower(a) == wanted then
        return e
      end
    end
  end
  return nil
end

--- One quickfix line for an entry: "Ana (character) · 7 mentions · also Anya · first in 01-arrival.md".
local function entry_text(e)
  local parts = { string.format("%s (%s)", e.name, e.type or "other"), string.format("%d mentions", e.mentions or 0) }
  if type(e.aliases) == "table" and #e.aliases > 0 then
    table.insert(parts, "also " .. table.concat(e.aliases, ", "))
  end
  if type(e.first) == "table" and e.first.uri then
    table.insert(parts, "first in " .. vim.fn.fnamemodify(vim.uri_to_fname(e.first.uri), ":t"))
  end
  return table.concat(parts, " · ")
end

--- The story bible (recurrent/bibleAt): without a name, every entry in the quickfix list at its heading; with
--- one (name or alias), opens its entry; with `mentions`, lists that name's mentions in every chapter instead.
function M.bible(name, mentions, on_done)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  lsp.request(bufnr, "recurrent/bibleAt", { uri = uri(bufnr) }, function(b)
    local entries = type(b) == "table" and type(b.entries) == "table" and b.entries or {}
    if not name or name == "" then
      if #entries == 0 then
        lsp.notify("no story bible yet: write one entry per file in " .. (b and b.folder or "bible/"))
      end
      local items = {}
      for _, e in ipairs(entries) do
        table.insert(items, {
          filename = vim.uri_to_fname(e.location.uri),
          lnum = e.location.range.start.line + 1,
          col = 1,
          text = entry_text(e),
        })
      end
      vim.fn.setqflist({}, " ", { title = "recurrent: story bible", items = items })
      vim.cmd("copen")
      if on_done then
        on_done(entries)
      end
      return
    end
    local e = find_entry(entries, name)
    if not e then
      lsp.notify(string.format("‘%s’ is not a name in the story bible (:RecurrentBible lists them)", name),
        vim.log.levels.WARN)
      return
    end
    vim.cmd("edit " .. vim.fn.fnameescape(vim.uri_to_fname(e.location.uri)))
    vim.api.nvim_win_set_cursor(0, { e.location.range.start.line + 1, 0 })
    if mentions then
      -- References at the entry's heading: the entry's buffer is attached (and opened to the server) by now.
      M.references(vim.api.nvim_get_current_buf(), e.location.uri, e.location.range.start,
        "recurrent: mentions of " .. e.name, on_done)
    elseif on_done then
      on_done(e)
    end
  end)
end

--- The model's continuity check: `scope` "paragraph" (at the cursor), "selection" (the paragraphs of lines
--- `lines[1]`..`lines[2]`, 1-based), "chapter" (default) or "book" (offline: the offline checks of every
--- chapter). Its findings arrive as diagnostics (vim.diagnostic), beside the offline checks that run as you write.
function M.check(scope, on_done, lines)
  local bufnr = manuscript()
  if bufnr then
    scope = (scope == nil or scope == "") and "chapter" or scope
    local args = { uri = uri(bufnr), scope = scope }
    if scope == "paragraph" then
      args.position = position(bufnr)
    elseif scope == "selection" then
      -- Whole lines: the server checks every paragraph the range touches.
      args.range = { start = { line = lines[1] - 1, character = 0 }, ["end"] = { line = lines[2] - 1, character = 0 } }
    end
    lsp.execute(bufnr, "recurrent.check", args, function(r)
      if r and r.offline then
        lsp.notify(string.format("the offline checks of the whole book: %d findings (configure a model for the "
          .. "model's check)", r.findings or 0))
      elseif r then
        lsp.notify(string.format("checked %d paragraphs (%d from earlier checks): %d findings", r.paragraphs or 0,
          r.fromCache or 0, r.findings or 0))
      end
      if on_done then
        on_done(r)
      end
    end)
  end
end

function M.undo()
  local bufnr = manuscript()
  if bufnr then
    lsp.execute(bufnr, "recurrent.undoStep", { uri = uri(bufnr) }, function(r)
      lsp.notify(string.format("memory restored to step %s; undo the text itself with u", tostring(r and r.step or 0)))
    end)
  end
end

--- Asks genre, topic, premise and language, then starts a story in the current (empty) buffer.
function M.new_story(on_done)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  if vim.trim(table.concat(lines, "\n")) ~= "" then
    lsp.notify("open an empty Markdown file for the new story (:e story.md)", vim.log.levels.WARN)
    return
  end
  -- Neovim 0.7's vim.ui.input gives nil for an empty answer: for the optional prompts that means "none".
  local modes = {
    { mode = "novel", label = "A novel (I choose the plans)" },
    { mode = "interactive", label = "Interactive fiction (the plans are the reader's choices)" },
  }
  vim.ui.select(modes, {
    prompt = "What kind of story?",
    format_item = function(m)
      return m.label
    end,
  }, function(choice)
    if not choice then
      return
    end
    vim.ui.input({ prompt = "Genre: " }, function(genre)
      if not genre or vim.trim(genre) == "" then
        return
      end
      vim.ui.input({ prompt = "Topic: " }, function(topic)
        if not topic or vim.trim(topic) == "" then
          return
        end
        vim.ui.input({ prompt = "Premise (optional): " }, function(premise)
          premise = vim.trim(premise or "")
          vim.ui.input({ prompt = "Language (optional): ", default = lsp.opts.settings.language or "" }, function(language)
            language = vim.trim(language or "")
            local args = { uri = uri(bufnr), genre = vim.trim(genre), topic = vim.trim(topic), mode = choice.mode }
            if premise ~= "" then
              args.premise = premise
            end
            if language ~= "" then
              args.language = language
            end
            lsp.execute(bufnr, "recurrent.newStory", args, function(r)
              lsp.notify(string.format('started "%s"', r and r.title or "a new story"))
              if on_done then
                on_done(r)
              end
            end)
          end)
        end)
      end)
    end)
  end)
end

local function scratch(name, lines, filetype)
  local existing = vim.fn.bufnr(name)
  local buf = existing ~= -1 and existing or vim.api.nvim_create_buf(true, false)
  if existing == -1 then
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.api.nvim_buf_set_option(buf, "modifiable", true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  -- buftype before filetype: the FileType autocommand must see a scratch buffer and not attach a server to it.
  vim.api.nvim_buf_set_option(buf, "buftype", "nofile")
  vim.api.nvim_buf_set_option(buf, "filetype", filetype or "markdown")
  vim.api.nvim_buf_set_option(buf, "swapfile", false)
  vim.api.nvim_buf_set_option(buf, "bufhidden", "hide")
  vim.cmd("split")
  vim.api.nvim_win_set_buf(0, buf)
  return buf
end

--- Opens the short-term memory in a scratch buffer; :w sends the edit back with recurrent.setShortTermMemory.
function M.memory(on_open)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  local target = uri(bufnr)
  lsp.request(bufnr, "recurrent/storyState", { uri = target }, function(s)
    local text = (s and s.shortTermMemory) or ""
    local name = "recurrent://short-term-memory/" .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":t")
    local buf = scratch(name, vim.split(text, "\n", { plain = true }))
    vim.api.nvim_buf_set_option(buf, "buftype", "acwrite")
    vim.api.nvim_buf_set_option(buf, "modified", false)
    vim.api.nvim_buf_set_var(buf, "recurrent_manuscript", target)
    vim.api.nvim_create_autocmd("BufWriteCmd", {
      group = vim.api.nvim_create_augroup("RecurrentMemory" .. buf, { clear = true }),
      buffer = buf,
      callback = function()
        local edited = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
        lsp.execute(bufnr, "recurrent.setShortTermMemory", { uri = target, text = edited }, function()
          if vim.api.nvim_buf_is_valid(buf) then
            vim.api.nvim_buf_set_option(buf, "modified", false)
          end
          lsp.notify("short-term memory saved; the next step uses it")
          vim.api.nvim_exec_autocmds("User", { pattern = "RecurrentMemorySaved", modeline = false })
        end)
      end,
    })
    if on_open then
      on_open(buf)
    end
  end)
end

--- The last prompt sent to the model and its answer (the context viewer), read-only.
function M.render_prompt(p)
  if p == nil or p == vim.NIL then
    return { "# Last prompt", "", "No model call yet for this manuscript: run :RecurrentContinue first." }
  end
  local out = { "# Last prompt", "" }
  local function fact(label, v)
    if v ~= nil and v ~= vim.NIL then
      table.insert(out, string.format("- %s: %s", label, tostring(v)))
    end
  end
  fact("task", p.task)
  fact("model", p.model)
  fact("prompt tokens", p.promptTokens)
  fact("completion tokens", p.completionTokens)
  if type(p.budget) == "table" then
    fact("budget", string.format("%s of %s tokens", tostring(p.budget.used or "?"), tostring(p.budget.limit or "?")))
  end
  local function arr(x)
    return type(x) == "table" and x or {}
  end
  local function list(items, line)
    for _, i in ipairs(arr(items)) do
      table.insert(out, "- " .. line(i))
    end
  end
  local function opt(v)
    return v ~= nil and v ~= vim.NIL and tostring(v) or nil
  end
  -- What went in and what was left out, then the bible's entries with why each came in.
  local budget = type(p.budget) == "table" and p.budget or {}
  local function source(i)
    local what = table.concat(vim.tbl_filter(function(x)
      return x ~= nil
    end, { opt(i.kind), opt(i.label) }), ": ")
    local cut = i.truncated == true and (", cut" .. (opt(i.cutReason) and ": " .. i.cutReason or "")) or ""
    return string.format("%s (%s tokens%s)", what ~= "" and what or "source", opt(i.tokens) or "?", cut)
  end
  if #arr(budget.included) > 0 or #arr(budget.trimmed) > 0 then
    vim.list_extend(out, { "", "## Sources", "" })
    list(budget.included, source)
    if #arr(budget.trimmed) > 0 then
      vim.list_extend(out, { "", "Left out or cut:", "" })
      list(budget.trimmed, source)
    end
  end
  local bible = type(p.bible) == "table" and p.bible or {}
  if #arr(bible.included) > 0 or #arr(bible.leftOut) > 0 then
    vim.list_extend(out, { "", "## Story bible", "" })
    list(bible.included, function(e)
      return string.format("%s: %s%s", e.name, opt(e.reason) or "included", opt(e.tokens) and " (" .. e.tokens .. " tokens)" or "")
    end)
    if #arr(bible.leftOut) > 0 then
      vim.list_extend(out, { "", "Left out:", "" })
      list(bible.leftOut, function(e)
        return string.format("%s: %s%s", e.name, opt(e.why) or "left out", opt(e.reason) and " (it came in as " .. e.reason .. ")" or "")
      end)
    end
  end
  local function block(title, text)
    table.insert(out, "")
    table.insert(out, "## " .. title)
    table.insert(out, "")
    table.insert(out, "```text")
    vim.list_extend(out, vim.split(text or "", "\n", { plain = true }))
    table.insert(out, "```")
  end
  for _, m in ipairs(type(p.messages) == "table" and p.messages or {}) do
    block(m.role or "?", m.content)
  end
  if type(p.reasoning) == "string" and p.reasoning ~= "" then
    block("reasoning {{{", p.reasoning) -- folded: the buffer uses foldmethod=marker
    table.insert(out, "}}}")
  end
  block("answer", type(p.answer) == "string" and p.answer or "")
  return out
end

function M.prompt(on_open)
  local bufnr = manuscript()
  if not bufnr then
    return
  end
  lsp.request(bufnr, "recurrent/lastPrompt", { uri = uri(bufnr) }, function(p)
    local name = "recurrent://last-prompt/" .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":t")
    local buf = scratch(name, M.render_prompt(p))
    vim.api.nvim_buf_set_option(buf, "buftype", "nofile")
    vim.api.nvim_buf_set_option(buf, "modifiable", false)
    vim.api.nvim_win_set_option(0, "foldmethod", "marker")
    if on_open then
      on_open(buf)
    end
  end)
end

--- Defines the user commands and the <Plug> mappings.
function M.define()
  local function cmd(name, fn, opts)
    vim.api.nvim_create_user_command(name, fn, opts or {})
  end
  cmd("RecurrentNewStory", function()
    M.new_story()
  end, { desc = "Start a new story in this empty buffer" })
  cmd("RecurrentAdopt", function()
    M.adopt()
  end, { desc = "Build the story memory from this manuscript" })
  cmd("RecurrentMakeBook", function()
    M.make_book()
  end, { desc = "Make this file's folder a book: one memory for all its chapters" })
  cmd("RecurrentNewChapter", function(a)
    M.new_chapter(vim.trim(a.args or ""))
  end, { nargs = "?", desc = "Create and open the book's next chapter (optional title)" })
  cmd("RecurrentBook", function()
    M.book()
  end, { desc = "List the book's chapters in the quickfix list" })
  cmd("RecurrentBible", function(a)
    M.bible(vim.trim(a.args or ""), a.bang)
  end, { nargs = "?", bang = true, desc = "The story bible: list its entries, open one (Name), or its mentions (! Name)" })
  cmd("RecurrentCheck", function(a)
    local scope = vim.trim(a.args or "")
    if scope == "" and a.range > 0 then
      M.check("selection", nil, { a.line1, a.line2 })
    else
      M.check(scope)
    end
  end, {
    nargs = "?",
    range = true,
    complete = function()
      return { "paragraph", "chapter", "book" }
    end,
    desc = "The model's continuity check of the paragraph, the lines given (:'<,'>), the chapter (default) or the book",
  })
  cmd("RecurrentContinue", function(a)
    local plan = vim.trim(a.args or "")
    M.continue(plan ~= "" and { plan = plan } or nil)
  end, { nargs = "?", desc = "Write the next paragraph (with an optional plan)" })
  cmd("RecurrentPlans", function()
    M.pick_plan()
  end, { desc = "Choose (or edit) the plan for the next paragraph" })
  cmd("RecurrentSuggest", M.suggest, { desc = "Ask for three new plans" })
  cmd("RecurrentUndo", M.undo, { desc = "Restore the memory to before the last step" })
  cmd("RecurrentMemory", function()
    M.memory()
  end, { desc = "Edit the short-term memory (:w saves it)" })
  cmd("RecurrentPrompt", function()
    M.prompt()
  end, { desc = "Show the last prompt and answer" })
  cmd("RecurrentCancel", M.cancel, { desc = "Stop the paragraph being written" })
  cmd("RecurrentGhost", function()
    require("recurrent.ghost").request(0)
  end, { desc = "Show the next paragraph as ghost text" })

  -- The code lens on a bible entry ("7 mentions · first in 01-arrival.md") is a client command: its mentions.
  vim.lsp.commands["recurrent.bibleReferences"] = function(command, ctx)
    local at = command.arguments and command.arguments[1]
    if type(at) == "table" and at.uri and at.position then
      local bufnr = (ctx and ctx.bufnr and ctx.bufnr ~= 0) and ctx.bufnr or vim.api.nvim_get_current_buf()
      M.references(bufnr, at.uri, at.position, "recurrent: mentions")
    end
  end

  -- "Show the other passage" of a continuity finding: the server would ask window/showDocument, which
  -- Neovim 0.7 does not answer, so the plugin opens the passage itself.
  vim.lsp.commands["recurrent.showPassage"] = function(command, ctx)
    local at = command.arguments and command.arguments[1]
    if type(at) == "table" and at.uri and at.range then
      local c = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id)
      vim.lsp.util.jump_to_location({ uri = at.uri, range = at.range }, c and c.offset_encoding or "utf-16")
    end
  end

  local ghost = require("recurrent.ghost")
  vim.keymap.set({ "n", "i" }, "<Plug>(recurrent-accept)", function()
    if not ghost.accept() then
      lsp.notify("no ghost text to accept")
    end
  end, { desc = "Accept recurrent's ghost text" })
  vim.keymap.set({ "n", "i" }, "<Plug>(recurrent-ghost)", function()
    ghost.request(0)
  end, { desc = "Show recurrent's next paragraph as ghost text" })
  vim.keymap.set({ "n", "i" }, "<Plug>(recurrent-dismiss)", ghost.clear, { desc = "Dismiss recurrent's ghost text" })
end

return M
