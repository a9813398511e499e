-- The Neovim client: setup() defaults, the settings → server mapping, attaching (one client per root).
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")
local config = require("recurrent.config")

h.test("defaults work with nothing configured", function()
  local opts = config.merge({})
  h.eq({ "markdown", "text" }, opts.filetypes, "filetypes")
  h.eq(3, opts.settings.topK, "topK")
  h.eq(true, opts.settings.streaming, "streaming")
  h.eq(false, opts.settings.autoAdopt, "no file becomes a story by being opened")
  h.eq(
    { topK = 3, temperature = 0.7, contextTokens = 8192, streaming = true, autoAdopt = false, confirmSummariesAbove = 40, confirmLocal = false },
    config.server_settings(opts),
    "server settings"
  )
  local merged = config.merge({ settings = { model = "llama3.1" } })
  h.eq("llama3.1", merged.settings.model, "a user setting")
  h.eq(0.7, merged.settings.temperature, "defaults kept beside it")
end)

h.test("backend settings and the key reach the server's environment", function()
  vim.env.RECURRENT_API_KEY = nil
  vim.env.OPENAI_API_KEY = nil
  local opts = config.merge({ settings = { provider = "openai", baseUrl = "http://127.0.0.1:11434/v1", model = "m" }, api_key = function()
    return " sk-from-function \n"
  end })
  h.eq({
    RECURRENT_PROVIDER = "openai",
    RECURRENT_BASE_URL = "http://127.0.0.1:11434/v1",
    RECURRENT_MODEL = "m",
    RECURRENT_API_KEY = "sk-from-function",
  }, config.server_env(opts), "env")
  h.eq({}, config.server_env(config.merge({})), "nothing set, nothing added")
  vim.env.OPENAI_API_KEY = "sk-env"
  h.eq("sk-env", config.api_key(config.merge({})), "key inherited from the environment")
  h.eq("openai", config.effective_provider(config.merge({})), "a key alone selects openai")
  vim.env.OPENAI_API_KEY = nil
  h.eq("offline", config.effective_provider(config.merge({})), "nothing set: offline")
end)

h.test("the binary comes from opts.cmd or PATH, with a reason when missing", function()
  h.eq({ h.bin, "lsp", "--stdio" }, config.server_cmd({ cmd = h.bin }), "a path")
  h.eq({ h.bin, "lsp" }, config.server_cmd({ cmd = { h.bin, "lsp" } }), "a list")
  local cmd, why = config.server_cmd({ cmd = "/nonexistent/recurrent" })
  h.eq(nil, cmd, "missing binary")
  h.contains(why, "/nonexistent/recurrent", "reason")
  local saved = vim.env.PATH
  vim.env.PATH = vim.fn.fnamemodify(h.bin, ":h") .. ":" .. saved
  h.eq(vim.fn.exepath("recurrent"), config.server_cmd({})[1], "found on PATH")
  vim.env.PATH = "/nonexistent"
  local none, reason = config.server_cmd({})
  vim.env.PATH = saved
  h.eq(nil, none, "not on PATH")
  h.contains(reason, "PATH", "reason")
end)

h.test("lsp/recurrent.lua configures the bare server for vim.lsp.enable (0.11+)", function()
  local cfg = dofile(h.source .. "/clients/neovim/lsp/recurrent.lua")
  h.eq({ "recurrent", "lsp", "--stdio" }, cfg.cmd, "cmd")
  h.eq({ "markdown", "text" }, cfg.filetypes, "filetypes")
end)

h.test("setup defines the commands and <Plug> mappings", function()
  h.setup()
  for _, name in ipairs({ "RecurrentNewStory", "RecurrentAdopt", "RecurrentContinue", "RecurrentPlans", "RecurrentSuggest",
    "RecurrentUndo", "RecurrentMemory", "RecurrentPrompt", "RecurrentCancel", "RecurrentGhost" }) do
    h.eq(2, vim.fn.exists(":" .. name), ":" .. name)
  end
  h.truthy(vim.fn.maparg("<Plug>(recurrent-accept)", "i") ~= "", "<Plug>(recurrent-accept) in insert mode")
  h.truthy(vim.fn.maparg("<Plug>(recurrent-accept)", "n") ~= "", "<Plug>(recurrent-accept) in normal mode")
end)

h.test("a markdown buffer attaches and initialises; one client per root", function()
  h.setup()
  local buf, path, dir = h.open_manuscript(h.kStory)
  local c = h.attached(buf)
  h.eq(dir, c.config.root_dir, "root")
  h.truthy(c.server_capabilities.documentSymbolProvider, "the server's capabilities reached the client")
  -- A second manuscript in the same folder shares the client.
  vim.fn.writefile({ "Another chapter." }, dir .. "/two.md")
  vim.cmd("edit " .. vim.fn.fnameescape(dir .. "/two.md"))
  local c2 = h.attached()
  h.eq(c.id, c2.id, "the same client for the same root")
  -- A text file elsewhere gets its own.
  local _, txt = h.open_manuscript("Plain text story.", "notes.txt")
  h.eq("text", vim.bo.filetype, "filetype of " .. txt)
  local c3 = h.attached()
  h.truthy(c3.id ~= c.id, "another root, another client")
  -- workspace/configuration answers the recurrent section from setup's settings.
  local answer = vim.lsp.handlers["workspace/configuration"](nil, { items = { { section = "recurrent" } } }, { client_id = c.id, method = "workspace/configuration" })
  h.eq(3, answer[1].topK, "workspace/configuration recurrent.topK")
  local _ = path
end)

h.test("after the server crashes, the first command waits for the restart instead of failing", function()
  local seen = h.capture_notify()
  h.setup()
  local buf, path = h.open_manuscript(h.kStory)
  local lsp = require("recurrent.lsp")
  local old = h.attached(buf)
  vim.loop.kill(old.rpc.pid, 9)
  h.wait(function()
    return vim.lsp.get_client_by_id(old.id) == nil
  end, 10000, "Neovim to notice the server's exit")
  -- The very next command: no server runs for the buffer now.
  local state, err = lsp.request_sync(buf, "recurrent/storyState", { uri = vim.uri_from_fname(path) }, 15000)
  h.eq(nil, err, "the request's error")
  h.truthy(state and state.counts, "the story state from the restarted server")
  local now = lsp.client(buf)
  h.truthy(now and now.id ~= old.id and now.initialized, "a new client, attached and initialised")
  for _, n in ipairs(seen) do
    h.truthy(not n.msg:find("no server", 1, true), "no 'no server' message: " .. n.msg)
    h.truthy(n.level ~= vim.log.levels.ERROR, "no error: " .. n.msg)
  end
end)

h.test("a missing binary: one short message after the FileType autocommand, one per command, nothing attaches", function()
  -- Neovim 0.7's own vim.notify, recorded: errors go through nvim_err_writeln, which inside an autocommand adds
  -- "Error detected while processing FileType Autocommands".
  local seen = {}
  vim.notify = function(msg, level)
    table.insert(seen, { msg = msg, level = level })
    if level == vim.log.levels.ERROR then
      vim.api.nvim_err_writeln(msg)
    else
      vim.api.nvim_echo({ { msg } }, true, {})
    end
  end
  vim.cmd("messages clear")
  require("recurrent").setup({ cmd = "/nonexistent/recurrent" })
  local buf = h.open_manuscript("Text.")
  h.eq(0, #seen, "messages while the FileType autocommand runs")
  vim.wait(100, function() return #seen > 0 end)
  h.eq(nil, require("recurrent.lsp").client(buf), "client")
  h.eq(1, #seen, "messages after opening the manuscript")
  h.contains(seen[1].msg, "/nonexistent/recurrent", "the message names the path")
  h.eq(vim.log.levels.ERROR, seen[1].level, "level")
  h.truthy(vim.fn.strdisplaywidth(seen[1].msg) < vim.o.columns, "one line that fits the command line (no Press ENTER)")
  h.open_manuscript("More text.", "two.md")
  vim.wait(100)
  h.eq(1, #seen, "messages after opening a second manuscript")
  -- A command says it once (it checks the server twice: for the buffer, then for the request).
  vim.wait(300)
  pcall(vim.cmd, "RecurrentContinue") -- from Lua, the command's error message is also raised as an error
  vim.wait(100)
  h.eq(2, #seen, "messages after :RecurrentContinue")
  h.eq(seen[1].msg, seen[2].msg, "the same clear message")
  local messages = vim.fn.execute("messages")
  h.truthy(not messages:find("Autocommands", 1, true), ":messages holds no autocommand error: " .. messages)
  h.capture_notify()
end)

h.finish()
