-- recurrent.config: the plugin's options, their defaults, and what they become for the server.
--
-- Pure functions over tables (no editor state), so the tests can call them directly.
local M = {}

--- Defaults that work with nothing configured: the `recurrent` binary on PATH and the server's own backend
--- choice (offline unless RECURRENT_BASE_URL or a key is in the environment).
M.defaults = {
  -- The server: a path to the binary, or a full command list ({ "recurrent", "lsp", "--stdio" }).
  cmd = nil,
  -- Buffers to attach to (FileType names).
  filetypes = { "markdown", "text" },
  -- Sent to the server as the `recurrent` section of workspace/configuration (docs/LSP.md, Settings).
  settings = {
    provider = nil, -- "openai" | "anthropic" | "offline"; nil: openai when a base URL or key is set, else offline
    baseUrl = nil, -- e.g. "http://localhost:11434/v1" for Ollama
    model = nil,
    embedModel = nil,
    topK = 3,
    temperature = 0.7,
    contextTokens = 8192,
    language = nil, -- nil: detected from the manuscript
    streaming = true,
    autoAdopt = false, -- true: every file opened becomes a story (off: only :RecurrentAdopt, :RecurrentNewStory)
    confirmSummariesAbove = 40, -- ask before summarising more new paragraphs than this with a paid model (0: never)
    confirmLocal = false, -- true: ask about a model on this machine too (a whole book can take hours)
  },
  -- The API key: a function returning it (e.g. reading a password manager), or nil to inherit
  -- RECURRENT_API_KEY / OPENAI_API_KEY from Neovim's environment. Never put the key itself in your config.
  api_key = nil,
  -- Buffer-local keys set when a manuscript attaches (false: none). A key you mapped yourself, globally or for
  -- the buffer, is never replaced; set one to false to leave it out. See :help recurrent-mappings.
  mappings = {
    hover = "K", -- the paragraph's memory summary
    outline = "<localleader>o", -- chapters and scenes (document symbols)
    search = "<localleader>s", -- search the memory by meaning (workspace symbols)
    actions = "<localleader>a", -- code actions: Continue with a plan, Suggest plans
    continue = "<localleader>c",
    plans = "<localleader>p",
    ghost = "<localleader>g",
    accept = "<localleader>y", -- accept the ghost text
    cancel = "<localleader>x",
  },
  -- The plans' code lens is refreshed on attach, after each step and on CursorHold.
  codelens = true,
  -- Ghost text (textDocument/inlineCompletion): native on Neovim 0.12+, extmarks otherwise.
  ghost_text = { hl_group = "RecurrentGhost" },
  -- How long a synchronous request (health check, tests) waits, in milliseconds.
  timeout_ms = 10000,
}

local function deep_merge(base, over)
  local out = vim.deepcopy(base)
  for k, v in pairs(over or {}) do
    if type(v) == "table" and type(out[k]) == "table" and not vim.tbl_islist(v) then
      out[k] = deep_merge(out[k], v)
    else
      out[k] = v
    end
  end
  return out
end

--- Merges the user's options over the defaults.
function M.merge(opts)
  return deep_merge(M.defaults, opts or {})
end

--- The server command as a list: opts.cmd (a path or a list), else `recurrent` found on PATH.
--- Returns nil and a reason when there is no executable.
function M.server_cmd(opts)
  local cmd = opts.cmd
  if type(cmd) == "table" then
    if vim.fn.executable(cmd[1]) == 1 then
      return cmd
    end
    return nil, string.format("opts.cmd[1] = %q is not executable", tostring(cmd[1]))
  end
  if type(cmd) == "string" and cmd ~= "" then
    if vim.fn.executable(cmd) == 1 then
      return { cmd, "lsp", "--stdio" }
    end
    return nil, string.format("opts.cmd = %q is not executable", cmd)
  end
  local found = vim.fn.exepath("recurrent")
  if found ~= "" then
    return { found, "lsp", "--stdio" }
  end
  return nil, "`recurrent` is not on PATH"
end

--- The settings the server receives (nil values left out, so the server applies its defaults).
function M.server_settings(opts)
  local out = {}
  for k, v in pairs(opts.settings or {}) do
    if v ~= nil and v ~= "" then
      out[k] = v
    end
  end
  return out
end

--- The API key from opts.api_key (a function or a string) or the environment; nil when there is none.
function M.api_key(opts)
  local key = opts.api_key
  if type(key) == "function" then
    local ok, value = pcall(key)
    key = ok and value or nil
  end
  if type(key) ~= "string" or key == "" then
    key = vim.env.RECURRENT_API_KEY or vim.env.OPENAI_API_KEY
  end
  if type(key) == "string" then
    key = vim.trim(key)
  end
  return key ~= "" and key or nil
end

--- The server process's extra environment: the backend settings under the names `recurrent` reads, and the key.
function M.server_env(opts)
  local s = opts.settings or {}
  local env = {}
  local function set(name, value)
    if value ~= nil and value ~= "" then
      env[name] = tostring(value)
    end
  end
  set("RECURRENT_PROVIDER", s.provider)
  set("RECURRENT_BASE_URL", s.baseUrl)
  set("RECURRENT_MODEL", s.model)
  set("RECURRENT_EMBED_MODEL", s.embedModel)
  set("RECURRENT_API_KEY", M.api_key(opts))
  return env
end

--- Which backend the server will use, as the health check explains it (mirrors the server's documented default).
function M.effective_provider(opts)
  local s = opts.settings or {}
  local provider = s.provider or vim.env.RECURRENT_PROVIDER
  if provider and provider ~= "" then
    return provider
  end
  local base = s.baseUrl or vim.env.RECURRENT_BASE_URL or vim.env.OPENAI_BASE_URL
  if (base and base ~= "") or M.api_key(opts) then
    return "openai"
  end
  return "offline"
end

--- The base URL the server will call for the openai provider.
function M.effective_base_url(opts)
  local s = opts.settings or {}
  local base = s.baseUrl or vim.env.RECURRENT_BASE_URL or vim.env.OPENAI_BASE_URL
  if not base or base == "" then
    base = "https://api.openai.com/v1"
  end
  return (base:gsub("/+$", ""))
end

return M
