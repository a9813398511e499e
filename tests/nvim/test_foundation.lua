-- End to end with headless Neovim 0.7.2 as the client: open a generated manuscript, edit it
-- incrementally with emoji and CJK before the edit point, and check that documentSymbol ranges land
-- where Neovim thinks they are, that hover answers, and that shutdown/exit ends the server with 0.
-- Run by ctest (RECURRENT_BIN is the binary); failure is `cquit 1`.
local bin = os.getenv('RECURRENT_BIN')

local function check(cond, msg)
  if not cond then
    error(msg, 2)
  end
end

local function utf16_len(s)
  local _, utf16 = vim.str_utfindex(s)
  return utf16
end

local function run()
  check(bin and bin ~= '', 'RECURRENT_BIN is not set')
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local path = dir .. '/story.md'
  local lines = {}
  for c = 1, 3 do
    vim.list_extend(lines, { '# Chapter ' .. c, '', 'Snow 😀 fell on 雪 roofs ' .. c .. '.', '', '***', '',
      'A second scene, 第' .. c .. '.', '' })
  end
  vim.fn.writefile(lines, path)
  vim.cmd('edit ' .. path)
  local buf = vim.api.nvim_get_current_buf()

  local errors = {}
  local client_id = vim.lsp.start_client({
    name = 'recurrent',
    cmd = { bin, 'lsp', '--stdio', '--log-file', dir .. '/server.log' },
    root_dir = dir,
    settings = { recurrent = { model = 'test-model' } },
    on_error = function(code, err) table.insert(errors, tostring(code) .. ' ' .. vim.inspect(err)) end,
  })
  check(client_id, 'start_client failed')
  vim.lsp.buf_attach_client(buf, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  check(vim.wait(10000, function() return client.initialized end), 'the server did not initialize')
  check(client.server_capabilities.documentSymbolProvider, 'no documentSymbolProvider')
  check(client.offset_encoding == 'utf-16', 'offset encoding ' .. tostring(client.offset_encoding))

  -- Incremental edits: after the emoji and the CJK character on line 3 of chapter 1 ...
  local line = vim.api.nvim_buf_get_lines(buf, 2, 3, true)[1]
  local col = #line - #'roofs 1.' -- byte column, after 😀 and 雪
  vim.api.nvim_buf_set_text(buf, 2, col, 2, col, { '🍎 red 中文 ' })
  -- ... a new paragraph in chapter 2 with more emoji, and a deletion in chapter 3.
  vim.api.nvim_buf_set_lines(buf, 15, 15, true, { '', '👩‍👩‍👧 family 家 arrives.' })
  vim.api.nvim_buf_set_text(buf, 20, 0, 20, 5, { '' })

  local uri = vim.uri_from_bufnr(buf)
  local resp = client.request_sync('textDocument/documentSymbol', { textDocument = { uri = uri } }, 10000, buf)
  check(resp and resp.result and not resp.err, 'documentSymbol failed: ' .. vim.inspect(resp))
  local symbols = resp.result
  check(#symbols == 3, 'expected 3 chapters, got ' .. #symbols)
  local all = vim.api.nvim_buf_get_lines(buf, 0, -1, true)
  for ci, chapter in ipairs(symbols) do
    check(chapter.name == 'Chapter ' .. ci, 'chapter name ' .. chapter.name)
    local heading = chapter.range.start.line
    check(all[heading + 1] == '# Chapter ' .. ci, 'chapter ' .. ci .. ' starts at line ' .. heading)
    for _, scene in ipairs(chapter.children or {}) do
      local r = scene.range
      local last = all[r['end'].line + 1]
      check(r['end'].character == utf16_len(last),
        string.format('scene end %d:%d but the line %q has %d UTF-16 units', r['end'].line, r['end'].character, last,
          utf16_len(last)))
      check(r.start.character == 0, 'scene start column ' .. r.start.character)
    end
  end
  -- The first scene of chapter 1 ends on the edited line, after the emoji we inserted.
  local scene = symbols[1].children[1]
  check(scene.range['end'].line == 2, 'scene 1 ends on line ' .. scene.range['end'].line)
  -- Chapter 2 now has the new paragraph in its last scene.
  local ch2 = symbols[2].children
  local lastScene = ch2[#ch2]
  check(all[lastScene.range['end'].line + 1] == '👩‍👩‍👧 family 家 arrives.', 'chapter 2 ends on ' ..
    vim.inspect(all[lastScene.range['end'].line + 1]))

  local hover = client.request_sync('textDocument/hover',
    { textDocument = { uri = uri }, position = { line = 2, character = 3 } }, 10000, buf)
  check(hover and hover.result, 'hover failed: ' .. vim.inspect(hover))
  local value = hover.result.contents.value
  check(value:find('Paragraph 1 of', 1, true) and value:find('Chapter 1', 1, true), 'hover says ' .. value)

  local folds = client.request_sync('textDocument/foldingRange', { textDocument = { uri = uri } }, 10000, buf)
  check(folds and folds.result and #folds.result >= 3, 'foldingRange: ' .. vim.inspect(folds))

  check(#errors == 0, 'client errors: ' .. table.concat(errors, '; '))
  client.stop()
  check(vim.wait(10000, function() return client.is_stopped() end), 'the server did not stop')
  local log = table.concat(vim.fn.readfile(dir .. '/server.log'), '\n')
  check(log:find('exits with code 0', 1, true), 'server log: ' .. log)
end

local ok, err = pcall(run)
if not ok then
  io.stderr:write('test_foundation FAILED: ' .. tostring(err) .. '\n')
  vim.cmd('cquit 1')
end
vim.cmd('qall!')
