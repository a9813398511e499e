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

--- The server's titles say "Recurrent: …"; our messages already start with "recurrent: ".
local function untitled(text)
  return (text or ""):gsub("^[Rr]ecurrent:%s*", "")
end

M.progress = {} -- client id -> { [token] = true } for the cancellable work in progress (:RecurrentCancel)
local last_edit = {} -- bufnr -> { group, tick }: the server's last edit and the buffer's changedtick right after it

-- $/progress: keep Neovim's bookkeeping, and tell the writer when work starts and ends (the reports go to the
-- command line only, outside :messages). A job's edits arrive between its begin and its end.
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
  local tokens = M.progress[ctx.client_id] or {}
  M.progress[ctx.client_id] = tokens
  if value.kind == "begin" then
    local hint = value.cancellable and " (:RecurrentCancel stops it)" or ""
    if value.cancellable then
      tokens[result.token] = true
    end
    notify(untitled(value.title or "working") .. (value.message and (": " .. value.message) or "") .. hint)
  elseif value.kind == "report" then
    local now = vim.loop.now()
    if now - last_report > 500 then
      last_report = now
      local pct = value.percentage and string.format(" %d%%", value.percentage) or ""
      vim.api.nvim_echo({ { "recurrent:" .. pct .. " " .. (value.message or ""), "MoreMsg" } }, false, {})
    end
  elseif value.kind == "end" then
    tokens[result.token] = nil
    -- A job that failed or was cancelled says why in its own message; "failed" alone would be a second one.
    local quiet = { failed = true, cancelled = true, stopped = true, ["not applied"] = true, closed = true }
    if not quiet[value.message or ""] then
      notify(value.message or "done")
    end
  end
end

--- Cancels every cancellable job the server reports for the client (window/workDoneProgress/cancel).
--- Returns how many.
function M.cancel_progress(client)
  local n = 0
  for token in pairs(M.progress[client.id] or {}) do
    M.call(client, "notify", "window/workDoneProgress/cancel", { token = token })
    n = n + 1
  end
  return n
end

local last_error = { text = "", at = 0 } -- the last error shown, so a request's error repeating it stays quiet

local function show_message(_, result)
  if result and result.message then
    if result.type == 1 then
      last_error = { text = result.message, at = vim.loop.now() }
    end
    notify(untitled(result.message), kLevels[result.type] or vim.log.levels.INFO)
  end
  return vim.NIL
end

--- True when `message` repeats the error the server just showed.
local function just_shown(message)
  return message ~= nil and vim.loop.now() - last_error.at < 2000 and last_error.text:find(message, 1, true) ~= nil
end

--- Shows a request's error once: not for a cancel, not when the server's own message just said it.
function M.report_error(err)
  if err and err.code ~= -32800 and err.code ~= -32801 and not just_shown(err.message) then
    notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
  end
end

--- The loaded buffer showing `uri`, never a new or reloaded one.
local function loaded_buffer(uri)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.uri_from_bufnr(b) == uri then
      return b
    end
  end
  return nil
end
M.loaded_buffer = loaded_buffer

-- workspace/applyEdit, instead of Neovim's handler, which prints "Workspace edit …" for every streamed piece,
-- loads a closed file into a hidden buffer to edit it, and leaves one undo step per piece. Here: one undo step
-- per job (undojoin while the buffer holds nothing but the job's previous edit), no message, and a refusal
-- for a buffer that is not loaded. The server marks the edits of one continuation with the same `editGroup`.
local function apply_edit(_, params, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local edit = params and params.edit
  if not client or type(edit) ~= "table" then
    return { applied = false, failureReason = "no edit" }
  end
  local per_buffer = {}
  local function add(uri, edits)
    local b = loaded_buffer(uri)
    if not b then
      return false
    end
    table.insert(per_buffer, { bufnr = b, edits = edits })
    return true
  end
  for uri, edits in pairs(edit.changes or {}) do
    if not add(uri, edits) then
      return { applied = false, failureReason = "the buffer was closed" }
    end
  end
  for _, change in ipairs(edit.documentChanges or {}) do
    if not (change.textDocument and change.edits) then
      return { applied = false, failureReason = "only text edits are applied" }
    end
    if not add(change.textDocument.uri, change.edits) then
      return { applied = false, failureReason = "the buffer was closed" }
    end
  end
  for _, e in ipairs(per_buffer) do
    local ok, why = pcall(vim.api.nvim_buf_call, e.bufnr, function()
      local last = last_edit[e.bufnr]
      if params.editGroup and last and last.group == params.editGroup
        and last.tick == vim.api.nvim_buf_get_changedtick(e.bufnr) then
        pcall(vim.cmd, "undojoin") -- nothing else changed since this job's previous piece
      end
      vim.lsp.util.apply_text_edits(e.edits, e.bufnr, client.offset_encoding)
    end)
    if not ok then
      return { applied = false, failureReason = tostring(why) }
    end
    last_edit[e.bufnr] = { group = params.editGroup, tick = vim.api.nvim_buf_get_changedtick(e.bufnr) }
  end
  return { applied = true }
end

-- window/showMessageRequest: Neovim 0.7's handler blocks in inputlist() and must answer at once. Answer "no
-- choice" now, ask with vim.ui.select, and run the chosen action's command when it carries one (the server's
-- offers do, for exactly this).
local function show_message_request(_, params, ctx)
  local actions = params and params.actions or {}
  vim.schedule(function()
    if #actions == 0 then
      notify(params.message or "", kLevels[params.type] or vim.log.levels.INFO)
      return
    end
    vim.ui.select(actions, {
      prompt = "recurrent: " .. (params.message or ""),
      kind = "recurrent.message",
      format_item = function(a)
        return a.title
      end,
    }, function(action)
      local client = vim.lsp.get_client_by_id(ctx.client_id)
      if action and action.command and client then
        M.call(client, "request", "workspace/executeCommand", { command = action.command, arguments = action.arguments }, function(err, result)
          if err then
            notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
          elseif action.command == "recurrent.undoStep" then
            notify(string.format("memory restored to step %s", tostring(result and result.step or 0)))
          end
        end)
      end
    end)
  end)
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

local last_said = { text = "", at = 0 }
--- An error notification, unless the same one was just shown (a command that checks twice says it once).
local function error_once(msg)
  local now = vim.loop.hrtime() / 1e6
  if msg == last_said.text and now - last_said.at < 200 then
    return
  end
  last_said = { text = msg, at = now }
  notify(msg, vim.log.levels.ERROR)
end

--- The missing binary in one line that fits the command line (a longer one asks "Press ENTER").
local function missing_message(why)
  for _, text in ipairs({ why .. " (:checkhealth recurrent)", why }) do
    if vim.fn.strdisplaywidth("recurrent: " .. text) < vim.o.columns then
      return text
    end
  end
  return "no server binary (:checkhealth recurrent)"
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
      ["window/showMessageRequest"] = show_message_request,
      ["workspace/applyEdit"] = apply_edit,
      ["recurrent/status"] = status_handler,
    },
    on_init = function(client)
      M.call(client, "notify", "workspace/didChangeConfiguration", { settings = client.config.settings })
    end,
    on_exit = function(code, signal)
      if clients[root] then
        clients[root] = nil
      end
      if code ~= 0 or (signal ~= 0 and signal ~= 15) then
        vim.schedule(function()
          local how = signal ~= 0 and ("signal " .. signal) or ("code " .. code)
          notify(string.format("the server exited (%s); the next command starts it again (:LspLog)", how), vim.log.levels.WARN)
        end)
      end
    end,
  }
end

--- Attaches the buffer to the client of its root, starting the server when none runs. Returns the client id.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.api.nvim_buf_get_name(bufnr):find("^recurrent://") or vim.api.nvim_buf_get_option(bufnr, "buftype") ~= "" then
    return nil -- the plugin's own views (memory, last prompt) are not manuscripts
  end
  local cfg, why = M.client_config(bufnr)
  if not cfg then
    if not warned_missing then
      warned_missing = true
      -- After the FileType autocommand: an error inside it gets Vim's "Error detected while processing" header.
      vim.schedule(function()
        error_once(missing_message(why))
      end)
    end
    return nil
  end
  if vim.lsp.start then
    return vim.lsp.start(cfg, { bufnr = bufnr })
  end
  local id = clients[cfg.root_dir]
  local existing = id and vim.lsp.get_client_by_id(id)
  if not existing or M.call(existing, "is_stopped") then -- none, or one that crashed and is not yet gone
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

--- The client for a buffer, attaching it first (after a crash: the restarted one, which M.request waits for);
--- says why once and returns nil when there is none.
function M.ensure(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local c = M.client(bufnr)
  if c and not M.call(c, "is_stopped") then
    return c
  end
  local cfg, why = M.client_config(bufnr)
  if not cfg then
    warned_missing = true
    error_once(missing_message(why))
    return nil
  end
  -- Neovim 0.7 lists a client for the buffer only once it is initialised: a new one is found by its id.
  local id = M.attach(bufnr)
  c = (id and vim.lsp.get_client_by_id(id)) or M.client(bufnr)
  if not c then
    error_once("the server did not start (:checkhealth recurrent, :LspLog)")
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
        else
          M.report_error(err)
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
