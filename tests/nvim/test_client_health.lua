-- :checkhealth recurrent: the binary and its version, the backend and whether it answers, the key's presence
-- (never its value).
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local function checkhealth()
  vim.cmd("checkhealth recurrent")
  local text = h.buffer_text(0)
  vim.cmd("bwipeout!")
  -- 0.7 writes "- OK: msg", newer versions "- OK msg": compare in the newer form.
  return (text:gsub("%- (%u+): ", "- %1 "))
end

h.test("offline with nothing configured", function()
  vim.env.RECURRENT_API_KEY = nil
  vim.env.OPENAI_API_KEY = nil
  vim.env.RECURRENT_PROVIDER = nil
  vim.env.RECURRENT_BASE_URL = nil
  vim.env.OPENAI_BASE_URL = nil
  h.setup()
  local text = checkhealth()
  h.contains(text, "OK found: " .. h.bin, "binary")
  h.contains(text, "OK version: recurrent ", "version")
  h.contains(text, "provider: offline", "provider")
  h.contains(text, "API key: not set", "key")
  h.truthy(not text:find("ERROR", 1, true), "no errors:\n" .. text)
end)

h.test("an OpenAI-compatible server that answers, with a key that is never shown", function()
  local base_url = h.model_server()
  vim.env.RECURRENT_API_KEY = "sk-test-do-not-print-42"
  h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model" } })
  local text = checkhealth()
  vim.env.RECURRENT_API_KEY = nil
  h.contains(text, "provider: openai, base URL: " .. base_url .. ", model: test-model", "backend")
  h.contains(text, "answered HTTP 200", "the probe")
  h.contains(text, "API key: set (from the environment)", "key presence")
  h.truthy(not text:find("sk-test-do-not-print-42", 1, true), "the key's value must never appear")
end)

h.test("a server that does not answer and a missing binary are errors", function()
  h.setup({ cmd = "/nonexistent/recurrent", settings = { provider = "openai", baseUrl = "http://127.0.0.1:9/v1" } })
  local text = checkhealth()
  h.contains(text, "ERROR opts.cmd = \"/nonexistent/recurrent\" is not executable", "binary error")
  h.contains(text, "ERROR no answer from http://127.0.0.1:9/v1/models", "probe error")
end)

h.finish()
