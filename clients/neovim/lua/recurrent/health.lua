-- :checkhealth recurrent: the binary, its version, the backend and whether it answers, the key's presence
-- (never its value), and the running clients. Works with Neovim 0.7's `health` module and newer `vim.health`.
local config = require("recurrent.config")
local lsp = require("recurrent.lsp")

local M = {}

local function reporter()
  local h = vim.health
  if h and h.ok then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  h = (h and h.report_ok) and h or require("health")
  return { start = h.report_start, ok = h.report_ok, warn = h.report_warn, error = h.report_error, info = h.report_info }
end

--- Whether an OpenAI-compatible server answers GET /models; the key goes to curl on stdin, never on its command line.
local function probe(base, key)
  if vim.fn.executable("curl") ~= 1 then
    return nil, "curl is not installed, so the server was not probed"
  end
  local header = key and ("Authorization: Bearer " .. key .. "\n") or "X-Recurrent-Probe: 1\n"
  local out = vim.fn.system({ "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--noproxy", "127.0.0.1,localhost", "-H", "@-", base .. "/models" }, header)
  local code = tonumber(vim.trim(out))
  if vim.v.shell_error ~= 0 or not code or code == 0 then
    return false, "no answer from " .. base .. "/models"
  end
  if code == 401 or code == 403 then
    return false, string.format("%s/models answered %d: the API key is missing or wrong", base, code)
  end
  if code >= 400 then
    return false, string.format("%s/models answered HTTP %d", base, code)
  end
  return true, string.format("%s/models answered HTTP %d", base, code)
end

function M.check()
  local r = reporter()
  local opts = lsp.opts

  r.start("recurrent: server binary")
  local cmd, why = config.server_cmd(opts)
  if not cmd then
    r.error(why, { "build it (scripts/build) and add build/ to PATH, or set opts.cmd to the recurrent executable" })
  else
    r.ok("found: " .. cmd[1])
    local version = vim.trim(vim.fn.system({ cmd[1], "version" }))
    if vim.v.shell_error == 0 and version ~= "" then
      r.ok("version: " .. version)
    else
      r.error("`" .. cmd[1] .. " version` failed: " .. version)
    end
  end

  r.start("recurrent: model backend")
  local provider = config.effective_provider(opts)
  local key = config.api_key(opts)
  if provider == "offline" then
    r.ok("provider: offline (no model, no network; the prose is a stand-in). Set settings.baseUrl or a key to use a model.")
  else
    local base = config.effective_base_url(opts)
    r.info(string.format("provider: %s, base URL: %s, model: %s", provider, base, opts.settings.model or "the server's default"))
    local ok, msg = probe(base, key)
    if ok == nil then
      r.warn(msg)
    elseif ok then
      r.ok(msg)
    else
      r.error(msg)
    end
  end
  if key then
    r.ok("API key: set (" .. (type(opts.api_key) == "function" and "from opts.api_key" or "from the environment") .. ")")
  elseif provider ~= "offline" and config.effective_base_url(opts):find("api.openai.com", 1, true) then
    r.warn("API key: not set; OpenAI needs one (export RECURRENT_API_KEY or set opts.api_key to a function)")
  else
    r.info("API key: not set (local servers such as Ollama need none)")
  end

  r.start("recurrent: clients")
  local running = lsp.all_clients()
  if #running == 0 then
    r.info("no server running (it starts when a markdown or text buffer opens)")
  end
  for _, c in ipairs(running) do
    r.ok(string.format("client %d for %s (%s)", c.id, c.config.root_dir or "?", c.initialized and "initialised" or "starting"))
  end
end

return M
