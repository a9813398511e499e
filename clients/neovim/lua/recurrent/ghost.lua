-- recurrent.ghost: the server's next paragraph as ghost text (textDocument/inlineCompletion).
--
-- On Neovim 0.12+ the native vim.lsp.inline_completion shows and accepts it. Before that, this module requests
-- it, draws it as virtual lines below the cursor line, wrapped to the window (a paragraph is far wider than a
-- line, and the plans' code lens keeps the end of the line), accepts it with <Plug>(recurrent-accept) and
-- clears it when the cursor moves or the text changes. A result that arrives after the cursor moved or the
-- buffer changed is dropped. Accepting runs the item's command (recurrent.acceptInline), which commits the
-- step. Main loop only.
local lsp = require("recurrent.lsp")

local M = {}

local ns = vim.api.nvim_create_namespace("recurrent_ghost")
local shown = nil -- { bufnr, client, item, row, col, tick }
local pending = nil -- the request handle while the server writes the ghost text
local group = vim.api.nvim_create_augroup("RecurrentGhost", { clear = true })

--- True when this Neovim draws inline completions itself.
function M.native()
  return vim.lsp.inline_completion ~= nil and type(vim.lsp.inline_completion.enable) == "function"
end

local function item_text(item)
  local t = item.insertText
  if type(t) == "table" then
    t = t.value -- a snippet StringValue: recurrent sends plain prose, so the value is the text
  end
  return t or ""
end

--- Removes the ghost text (if any).
function M.clear()
  if shown and vim.api.nvim_buf_is_valid(shown.bufnr) then
    vim.api.nvim_buf_clear_namespace(shown.bufnr, ns, 0, -1)
  end
  shown = nil
end

-- Stale when the writer moved or typed since it was drawn: it must then never be inserted.
local function stale(s)
  if vim.api.nvim_get_current_buf() ~= s.bufnr or not vim.api.nvim_buf_is_valid(s.bufnr) then
    return true
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  return cursor[1] - 1 ~= s.row or cursor[2] ~= s.col or vim.api.nvim_buf_get_changedtick(s.bufnr) ~= s.tick
end

--- The ghost text currently shown: { text, row, col } or nil (for tests and statuslines).
function M.current()
  if shown and stale(shown) then
    M.clear()
  end
  if not shown then
    return nil
  end
  return { text = item_text(shown.item), row = shown.row, col = shown.col }
end

--- Splits `text` into lines no wider than `width` display cells, breaking at spaces where it can.
function M.wrap(text, width)
  width = math.max(width, 20)
  local out = {}
  for _, line in ipairs(vim.split(text, "\n", { plain = true })) do
    while vim.fn.strdisplaywidth(line) > width do
      local cut = vim.fn.byteidx(line, width) -- at most `width` characters
      if cut < 0 then
        cut = #line
      end
      local space = line:sub(1, cut + 1):match(".*()%s")
      if space and space > width / 3 then
        cut = space
      end
      table.insert(out, (line:sub(1, cut):gsub("%s+$", "")))
      line = line:sub(cut + 1):gsub("^%s+", "")
    end
    table.insert(out, line)
  end
  return out
end

local function draw(bufnr, client, item)
  M.clear()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local hl = lsp.opts.ghost_text.hl_group or "RecurrentGhost"
  local width = vim.api.nvim_win_get_width(0) - 1
  local virt_lines = {}
  for _, line in ipairs(M.wrap(item_text(item), width)) do
    table.insert(virt_lines, { { line, hl } })
  end
  vim.api.nvim_buf_set_extmark(bufnr, ns, row, 0, { virt_lines = virt_lines, hl_mode = "combine" })
  shown = { bufnr = bufnr, client = client, item = item, row = row, col = col, tick = vim.api.nvim_buf_get_changedtick(bufnr) }
  -- Cleared by the next cursor move or edit (scheduled so the redraw of this request's own cursor is ignored).
  vim.schedule(function()
    vim.api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI", "TextChanged", "TextChangedI", "InsertEnter", "BufLeave" }, {
      group = group,
      buffer = bufnr,
      once = true,
      callback = function()
        M.clear()
      end,
    })
  end)
end

--- Asks the server for the continuation at the cursor and shows it as ghost text. on_shown(text|nil) is optional.
function M.request(bufnr, on_shown)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = lsp.ensure(bufnr)
  if not client then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = 1 } -- Invoked
  M.cancel_pending() -- a newer request replaces the older one
  local asked = { cursor = vim.api.nvim_win_get_cursor(0), tick = vim.api.nvim_buf_get_changedtick(bufnr) }
  vim.api.nvim_echo({ { "recurrent: writing ghost text… (:RecurrentCancel stops it)", "MoreMsg" } }, false, {})
  local handle
  handle = lsp.request(bufnr, "textDocument/inlineCompletion", params, function(result)
    if pending == handle then
      pending = nil
    end
    -- Moved or typed meanwhile: this text belongs elsewhere, and drawing it at the new cursor would insert it there.
    local cursor = vim.api.nvim_get_current_buf() == bufnr and vim.api.nvim_win_get_cursor(0) or nil
    if not cursor or cursor[1] ~= asked.cursor[1] or cursor[2] ~= asked.cursor[2]
      or not vim.api.nvim_buf_is_valid(bufnr) or vim.api.nvim_buf_get_changedtick(bufnr) ~= asked.tick then
      if on_shown then
        on_shown(nil)
      end
      return
    end
    local items = result and (result.items or result) or {}
    local item = items[1]
    if not item or item_text(item) == "" then
      lsp.notify("no continuation offered here")
      if on_shown then
        on_shown(nil)
      end
      return
    end
    draw(bufnr, client, item)
    if on_shown then
      on_shown(item_text(item))
    end
  end)
  if handle and not handle.done then
    pending = handle
  end
end

--- Cancels a ghost-text request still being written. Returns true when there was one.
function M.cancel_pending()
  local h = pending
  pending = nil
  return lsp.cancel(h)
end

--- True while a ghost-text request waits for the server.
function M.is_pending()
  return pending ~= nil and not pending.done
end

--- Inserts the ghost text and commits the step (the item's command). Returns false when nothing is shown.
function M.accept()
  if M.native() and not shown then
    local ok = pcall(vim.lsp.inline_completion.get)
    return ok
  end
  if not M.current() then
    return false
  end
  local s = shown
  M.clear()
  local pos = { line = s.row, character = s.col }
  if s.client.offset_encoding ~= "utf-8" then
    local line = vim.api.nvim_buf_get_lines(s.bufnr, s.row, s.row + 1, false)[1] or ""
    pos.character = vim.str_utfindex(line, math.min(s.col, #line))
  end
  local range = s.item.range or { start = pos, ["end"] = pos }
  vim.lsp.util.apply_text_edits({ { range = range, newText = item_text(s.item) } }, s.bufnr, s.client.offset_encoding)
  local cmd = s.item.command
  if cmd and cmd.command then
    lsp.execute(s.bufnr, cmd.command, (cmd.arguments or {})[1] or {}, function(r)
      lsp.notify(string.format("step %s committed", tostring(r and r.step or "?")))
    end)
  end
  return true
end

--- Turns native inline completion on for a buffer where Neovim has it (0.12+).
function M.enable_native(bufnr)
  if M.native() then
    pcall(vim.lsp.inline_completion.enable, true, { bufnr = bufnr })
  end
end

return M
