-- The Neovim client's plan flow: :RecurrentPlans through vim.ui.select, editing a plan through vim.ui.input,
-- :RecurrentSuggest, and :RecurrentPrompt showing the prompt the chosen plan produced.
local h = dofile(os.getenv("RECURRENT_SOURCE_DIR") .. "/tests/nvim/lib/harness.lua")

local seen = h.capture_notify()
local base_url = h.model_server()
h.setup({ settings = { provider = "openai", baseUrl = base_url, model = "test-model" } })

--- Stubs vim.ui.select: `choose(items, opts)` returns the index to pick; records what was offered.
local offered = {}
local function stub_select(choose)
  vim.ui.select = function(items, opts, on_choice)
    local labels = {}
    for i, it in ipairs(items) do
      labels[i] = opts.format_item and opts.format_item(it) or tostring(it)
    end
    table.insert(offered, { prompt = opts.prompt, labels = labels })
    local i = choose(labels)
    vim.schedule(function()
      on_choice(items[i], i)
    end)
  end
end

local function index_of(labels, needle)
  for i, l in ipairs(labels) do
    if l:find(needle, 1, true) then
      return i
    end
  end
  error("no item contains " .. needle .. " in " .. vim.inspect(labels))
end

local function count(text, needle)
  local n, from = 0, 1
  while true do
    local s = text:find(needle, from, true)
    if not s then
      return n
    end
    n, from = n + 1, s + 1
  end
end

local buf = h.open_manuscript(h.kStory)

h.test("adopt builds the memory and three plans", function()
  h.attached(buf)
  local done
  require("recurrent.commands").adopt(function(r)
    done = r
  end)
  h.wait(function()
    return done
  end, 60000, "recurrent.adopt")
  h.eq(3, #(done.plans or {}), "plans after adopt")
  h.truthy((done.paragraphs or 0) >= 3, "paragraphs adopted")
end)


--- Waits until the server reports this buffer idle (the step is committed, not just its text shown).
local function wait_idle()
  h.wait(function()
    local s = require("recurrent").statusline()
    return not s:match("writing") and not s:match("updating") and not s:match("indexing")
  end, 60000, "the server to finish the step")
end

h.test(":RecurrentPlans lists the three plans and writes the chosen one", function()
  offered = {}
  stub_select(function(labels)
    return 1
  end)
  local before = count(h.buffer_text(buf), "from the test model")
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  vim.cmd("RecurrentPlans")
  h.wait(function()
    return count(h.buffer_text(buf), "from the test model") > before
  end, 60000, "the paragraph for plan 1")
  wait_idle()
  local labels = offered[1].labels
  -- vim.ui.select numbers the entries itself ("1: …"): the labels carry no second number.
  h.truthy(labels[1]:match("^Plan 1 ") and labels[2]:match("^Plan 2 ") and labels[3]:match("^Plan 3 "), "the three plans, unnumbered: " .. vim.inspect(labels))
  index_of(labels, "Edit a plan first")
  index_of(labels, "Write my own plan")
  index_of(labels, "Suggest new plans")
end)

h.test("a plan edited through vim.ui.input is the one the model gets", function()
  offered = {}
  local step = 0
  stub_select(function(labels)
    step = step + 1
    if step == 1 then
      return index_of(labels, "Edit a plan first")
    end
    return 2 -- the second plan
  end)
  local defaults = {}
  vim.ui.input = function(opts, on_confirm)
    table.insert(defaults, opts.default)
    vim.schedule(function()
      on_confirm((opts.default or "") .. " She carries the lantern of the drowned keeper.")
    end)
  end
  local before = count(h.buffer_text(buf), "from the test model")
  vim.cmd("RecurrentPlans")
  h.wait(function()
    return count(h.buffer_text(buf), "from the test model") > before
  end, 60000, "the paragraph for the edited plan")
  wait_idle()
  h.truthy(defaults[1] and defaults[1] ~= "", "the input box was prefilled with the plan")
  -- The context viewer shows the prompt: the edited plan must be in it.
  local prompt_buf
  require("recurrent.commands").prompt(function(b)
    prompt_buf = b
  end)
  h.wait(function()
    return prompt_buf
  end, 10000, ":RecurrentPrompt")
  local text = h.buffer_text(prompt_buf)
  h.contains(text, "# Last prompt", "prompt buffer")
  h.contains(text, "the lantern of the drowned keeper", "the edited plan in the last prompt")
  h.eq(false, vim.api.nvim_buf_get_option(prompt_buf, "modifiable"), "the prompt buffer is read-only")
  vim.cmd("close")
end)

h.test(":RecurrentSuggest offers new plans through the same picker", function()
  offered = {}
  stub_select(function()
    return nil -- the writer closes the picker
  end)
  vim.cmd("RecurrentSuggest")
  h.wait(function()
    return #offered > 0
  end, 60000, "the picker with suggested plans")
  h.truthy(#offered[1].labels >= 5, "three plans and the extra entries")
end)

h.finish()
