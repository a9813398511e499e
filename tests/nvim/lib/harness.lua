-- A tiny test harness for the headless Neovim client tests (tests/nvim/test_client_*.lua).
--
-- Each test file runs in its own `nvim --headless -u NONE` (see tests/CMakeLists.txt): it loads this file,
-- registers tests with h.test(name, fn), and calls h.finish(), which exits with `cquit 1` when any failed.
-- RECURRENT_BIN is the server binary, RECURRENT_SOURCE_DIR the repository.
local h = {}

h.source = assert(os.getenv("RECURRENT_SOURCE_DIR"), "RECURRENT_SOURCE_DIR is not set")
h.bin = assert(os.getenv("RECURRENT_BIN"), "RECURRENT_BIN is not set")
vim.opt.runtimepath:prepend(h.source .. "/clients/neovim")
vim.cmd("filetype on")
vim.o.swapfile = false
vim.o.hidden = true

local tests = {}
local cleanups = {}

local function log(msg)
  io.stderr:write(msg .. "\n")
end
h.log = log

function h.test(name, fn)
  table.insert(tests, { name = name, fn = fn })
end

--- Runs fn at the end of the file's run (servers, jobs).
function h.defer(fn)
  table.insert(cleanups, fn)
end

function h.fail(msg)
  error(msg, 2)
end

function h.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(string.format("%s: expected %s, got %s", what or "value", vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

function h.truthy(v, what)
  if not v then
    error((what or "condition") .. " is false", 2)
  end
  return v
end

function h.contains(haystack, needle, what)
  if type(haystack) ~= "string" or not haystack:find(needle, 1, true) then
    error(string.format("%s: %q not found in %s", what or "text", needle, vim.inspect(haystack)), 2)
  end
end

local notes = nil -- the notifications recorded by h.capture_notify()

--- Waits (processing events) until fn() is true; fails with `what` after timeout_ms, and at once when the
--- plugin shows an error notification meanwhile (the server's message then explains the failure).
function h.wait(fn, timeout_ms, what)
  local first = notes and #notes + 1 or 1
  local failure
  local ok = vim.wait(timeout_ms or 20000, function()
    for i = first, notes and #notes or 0 do
      if notes[i] and notes[i].level == vim.log.levels.ERROR then
        failure = notes[i].msg
        return true
      end
    end
    local good, r = pcall(fn)
    return good and r
  end, 20)
  if failure then
    error(string.format("while waiting for %s, an error was shown: %s", what or "a condition", failure), 2)
  end
  if not ok then
    error("timed out waiting for " .. (what or "a condition"), 2)
  end
end

--- A fresh folder (removed at the end).
function h.tmpdir()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  h.defer(function()
    vim.fn.delete(dir, "rf")
  end)
  return dir
end

--- Writes a manuscript into a fresh folder and opens it (FileType attaches the client when setup() ran).
function h.open_manuscript(text, name)
  local dir = h.tmpdir()
  local path = dir .. "/" .. (name or "story.md")
  vim.fn.writefile(vim.split(text, "\n", { plain = true }), path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf(), path, dir
end

h.kStory = table.concat({
  "# Chapter One",
  "",
  "The lighthouse had been dark for eleven years when Mara took the keys. She swept the salt from the",
  "stairs, oiled the lamp, and on the first night of the storm she heard the radio in the lamp room speak.",
  "",
  "It was her own voice, older and tired, and it told her not to open the door at the foot of the tower.",
  "She stood a long time on the landing, listening to the sea, before she went down the stairs again.",
  "",
  "In the morning the door was open, and the sand in front of it held the print of a bare foot.",
}, "\n")

--- setup() with the binary under test and the given options. The server never offers to undo a step whose
--- paragraph is gone (tests reuse a file name with its old state, and Neovim's own vim.ui.select would block
--- in inputlist()), unless a test asks for it.
function h.setup(opts)
  local defaults = { cmd = h.bin, settings = { undoStepWithText = "never" } }
  require("recurrent").setup(vim.tbl_deep_extend("force", defaults, opts or {}))
end

--- Waits until the current buffer's recurrent client is initialised; returns it.
function h.attached(bufnr)
  local lsp = require("recurrent.lsp")
  local c
  h.wait(function()
    c = lsp.client(bufnr or 0)
    return c and c.initialized
  end, 15000, "the recurrent client to attach and initialise")
  return c
end

--- The writer's word: adopts the buffer as a story (a file is not one until then) and waits until it is.
function h.adopt(bufnr)
  local done
  vim.api.nvim_set_current_buf(bufnr or vim.api.nvim_get_current_buf())
  require("recurrent.commands").adopt(function(r)
    done = r
  end)
  h.wait(function()
    return done
  end, 60000, "recurrent.adopt")
  return done
end

--- Records vim.notify calls; returns the list ({msg, level}).
function h.capture_notify()
  local seen = {}
  vim.notify = function(msg, level)
    table.insert(seen, { msg = msg, level = level })
  end
  notes = seen
  return seen
end
h.capture_notify() -- from the start, so h.wait fails at once on an error the plugin shows

function h.notified(seen, needle)
  for _, n in ipairs(seen) do
    if n.msg:find(needle, 1, true) then
      return n
    end
  end
  return nil
end

function h.buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false), "\n")
end

--- Starts the fake OpenAI-compatible model server (tests/vscode/fake-model-server.mjs) and returns its base URL
--- (…/v1) and its root. extra_args: e.g. { "--chunk-delay-ms", "200" } for a slow stream.
function h.model_server(extra_args)
  if vim.fn.executable("node") ~= 1 then
    h.fail("node is not installed (scripts/deps --test installs it); the fake model server needs it")
  end
  local port_file = vim.fn.tempname()
  local cmd = { "node", h.source .. "/tests/vscode/fake-model-server.mjs", "--port-file", port_file, "--exit-with-stdin" }
  vim.list_extend(cmd, extra_args or {})
  local job = vim.fn.jobstart(cmd)
  h.truthy(job > 0, "starting the fake model server")
  h.defer(function()
    vim.fn.jobstop(job)
  end)
  h.wait(function()
    return vim.fn.filereadable(port_file) == 1 and vim.fn.readfile(port_file)[1] ~= nil
  end, 10000, "the fake model server's port")
  local base = "http://127.0.0.1:" .. vim.fn.readfile(port_file)[1]
  return base .. "/v1", base
end

--- How many requests the fake model server got on each path.
function h.model_requests(base)
  local out = vim.fn.system({ "curl", "-s", "--noproxy", "*", base .. "/__requests" })
  local ok, decoded = pcall(vim.json.decode, out)
  return ok and decoded or {}
end

function h.finish()
  local failed = 0
  for _, t in ipairs(tests) do
    local started = vim.loop.hrtime()
    local ok, err = xpcall(t.fn, debug.traceback)
    local ms = (vim.loop.hrtime() - started) / 1e6
    if ok then
      log(string.format("ok   %s (%.0f ms)", t.name, ms))
    else
      failed = failed + 1
      log(string.format("FAIL %s (%.0f ms)\n     %s", t.name, ms, tostring(err):gsub("\n", "\n     ")))
    end
  end
  for i = #cleanups, 1, -1 do
    pcall(cleanups[i])
  end
  for _, c in ipairs(vim.lsp.get_active_clients()) do
    c.stop()
  end
  log(string.format("%d passed, %d failed", #tests - failed, failed))
  vim.cmd(failed > 0 and "cquit 1" or "qall!")
end

return h
