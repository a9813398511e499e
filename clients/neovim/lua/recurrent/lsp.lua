-- recurrent.lsp: starts `recurrent lsp`, one client per root, attaches buffers, and shows what the server sends
-- (progress, messages, status). Works on Neovim 0.7 (start_client + buf_attach_client) and uses vim.lsp.start
-- where it exists.
--
-- Runs on Neovim's main loop; the state below is only touched from there.
local config = require("recurrent.config")

local M = {}

M.opts = config.merge({})
M.status = {} -- root_dir -> last recurrent/status params
local clients = {} -- root_dir -> client id (Neovim 0.7 path)
local warned_missing = false

local kLevels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }
local kMethodCalls = vim.fn.has("nvim-0.11") == 1 -- client:request() style; 0.7-0.10 use client.request()

--- Calls a client method the way this Neovim expects (dot on 0.7-0.10, colon on 0.11+).
function M.call(client, method, ...)
  if kMethodCalls then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function notify(msg, level)
  vim.notify("recurrent: " .. msg, level or vim.log.levels.INFO)
end
M.notify = notify

--- The manuscript's root: the nearest folder holding .recurrent or .git, else the file's own folder.
function M.root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.loop.cwd()
  local marker = vim.fn.finddir(".recurrent", dir .. ";")
  if marker == "" then
    marker = vim.fn.finddir(".git", dir .. ";")
  end
  if marker ~= "" then
    return vim.fn.fnamemodify(marker, ":p:h:h")
  end
  return dir
end

-- $/progress: keep Neovim's bookkeeping, and tell the writer when work starts, advances and ends.
local last_report = 0
local function progress_handler(err, result, ctx, cfg)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    default(err, result, ctx, cfg)
  end
  local value = result and result.value
  if type(value) ~= "table" then
    return
  end
  if value.kind == "begin" then
    notify((value.title or "working") .. (value.message and (": " .. value.message) or "") .. " (:RecurrentCancel stops it)")
  elseif value.kind == "report" then
    local now = vim.loop.now()
    if now - last_report > 500 then
      last_report = now
      local pct = value.percentage and string.format(" %d%%", value.percentage) or ""
      vim.api.nvim_echo({ { "recurrent:" .. pct .. " " .. (value.message or ""), "MoreMsg" } }, false, {})
    end
  elseif value.kind == "end" then
    notify(value.message or "done")
  end
end

local function show_message(_, result)
  if result and result.message then
    notify(result.message, kLevels[result.type] or vim.log.levels.INFO)
  end
  return vim.NIL
end

local function status_handler(_, result, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client and result then
    M.status[client.config.root_dir] = result
    vim.api.nvim_exec_autocmds("User", { pattern = "RecurrentStatus", modeline = false })
  end
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.window = caps.window or {}
  caps.window.workDoneProgress = true
  caps.workspace = caps.workspace or {}
  caps.workspace.applyEdit = true
  caps.textDocument = caps.textDocument or {}
  caps.textDocument.inlineCompletion = { dynamicRegistration = false }
  return caps
end

--- The client configuration for a buffer (nil and a reason when the binary is missing).
function M.client_config(bufnr)
  local cmd, why = config.server_cmd(M.opts)
  if not cmd then
    return nil, why
  end
  local root = M.root_dir(bufnr)
  return {
    name = "recurrent",
    cmd = cmd,
    cmd_env = config.server_env(M.opts),
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
    settings = { recurrent = config.server_settings(M.opts) },
    capabilities = capabilities(),
    handlers = {
      ["$/progress"] = progress_handler,
      ["window/showMessage"] = show_message,
      ["recurrent/status"] = status_handler,
    },
    on_init = function(client)
      M.call(client, "notify", "workspace/didChangeConfiguration", { settings = client.config.settings })
    end,
    on_exit = function(code, signal)
      if clients[root] then
        clients[root] = nil
      end
      if code ~= 0 and signal ~= 15 then
        vim.schedule(function()
          notify(string.format("the server exited (code %d); see :LspLog and :checkhealth recurrent", code), vim.log.levels.ERROR)
        end)
      end
    end,
  }
end

--- Attaches the buffer to the client of its root, starting the server when none runs. Returns the client id.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local cfg, why = M.client_config(bufnr)
  if not cfg then
    if not warned_missing then
      warned_missing = true
      notify(why, vim.log.levels.ERROR)
    end
    return nil
  end
  if vim.lsp.start then
    return vim.lsp.start(cfg, { bufnr = bufnr })
  end
  local id = clients[cfg.root_dir]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(cfg)
    if not id then
      notify("could not start " .. table.concat(cfg.cmd, " "), vim.log.levels.ERROR)
      return nil
    end
    clients[cfg.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The recurrent client attached to the buffer, if any.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = "recurrent" })[1]
  end
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if c.name == "recurrent" then
      return c
    end
  end
  return nil
end

--- Every running recurrent client.
function M.all_clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = "recurrent" })
  end
  local out = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if c.name == "recurrent" then
      table.insert(out, c)
    end
  end
  return out
end

--- The client for a buffer, attaching it first; notifies and returns nil when there is none.
function M.ensure(bufnr)
  local c = M.client(bufnr)
  if c then
    return c
  end
  M.attach(bufnr)
  c = M.client(bufnr)
  if not c then
    notify("no server for this buffer (:checkhealth recurrent)", vim.log.levels.ERROR)
  end
  return c
end

--- Sends a request once the client is initialised; calls on_result(result) or shows the error (on_error(err)
--- instead when given). Returns a handle for M.cancel, or nil when there is no server.
function M.request(bufnr, method, params, on_result, on_error)
  local c = M.ensure(bufnr)
  if not c then
    return nil
  end
  local handle = { client = c }
  local function send()
    local ok, id = M.call(c, "request", method, params, function(err, result)
      handle.done = true
      if err then
        if on_error then
          on_error(err)
        elseif err.code ~= -32800 then -- -32800: cancelled by the writer, nothing to report
          notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
        end
        return
      end
      if on_result then
        on_result(result)
      end
    end, bufnr)
    handle.id = ok and id or nil
  end
  if c.initialized then
    send()
    return handle
  end
  -- A request sent before `initialized` would be refused: wait for it on the loop, without blocking.
  local tries = 0
  local timer = vim.loop.new_timer()
  timer:start(20, 20, vim.schedule_wrap(function()
    tries = tries + 1
    if c.initialized or M.call(c, "is_stopped") or tries > 500 then
      timer:stop()
      timer:close()
      if c.initialized then
        send()
      else
        notify("the server did not initialise (:checkhealth recurrent)", vim.log.levels.ERROR)
      end
    end
  end))
  return handle
end

--- Cancels a request sent with M.request ($/cancelRequest; the server stops the model and answers -32800).
function M.cancel(handle)
  if handle and handle.id and not handle.done then
    M.call(handle.client, "cancel_request", handle.id)
    return true
  end
  return false
end

--- workspace/executeCommand with recurrent's one-object argument convention.
function M.execute(bufnr, command, args, on_result, on_error)
  return M.request(bufnr, "workspace/executeCommand", { command = command, arguments = { args } }, on_result, on_error)
end

--- A synchronous request (health check, scripts): result, err.
function M.request_sync(bufnr, method, params, timeout_ms)
  local done, result, err = false, nil, nil
  M.request(bufnr, method, params, function(r)
    result, done = r, true
  end, function(e)
    err, done = e, true
  end)
  if not vim.wait(timeout_ms or M.opts.timeout_ms, function()
    return done
  end, 10) then
    return nil, { message = method .. " timed out" }
  end
  return result, err
end

return M
