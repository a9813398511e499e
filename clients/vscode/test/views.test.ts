// The read-only views (last prompt, long-term memory) and the status bar text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logLevelOf } from '../src/serverLog';
import { statusView } from '../src/status';
import { renderLastPrompt, renderLongTermMemory } from '../src/views';

test('the last prompt shows every message, the answer and the budget', () => {
  const md = renderLastPrompt({
    task: 'step',
    model: 'fake',
    messages: [
      { role: 'system', content: 'You write novels.' },
      { role: 'user', content: 'Has ``` inside' },
    ],
    answer: '{"paragraph":"…"}',
    promptTokens: 120,
    completionTokens: 40,
    budget: {
      limit: 8192,
      used: 160,
      included: [{ kind: 'recent text', label: 'paragraphs 3-5', tokens: 90 }],
      trimmed: [{ kind: 'memory', label: 'paragraph 3', tokens: 40, truncated: true, cutReason: 'the prompt was full' }],
    },
  });
  assert.match(md, /task: step/);
  assert.match(md, /## system\n\n```text\nYou write novels\.\n```/);
  assert.match(md, /````text\nHas ``` inside\n````/, 'a fence longer than any backtick run in the content');
  assert.match(md, /budget: 160 of 8192 tokens/);
  assert.match(md, /## Sources\n\n- recent text: paragraphs 3-5 \(90 tokens\)\n\nLeft out or cut:\n\n- memory: paragraph 3 \(40 tokens, cut: the prompt was full\)/);
  assert.match(md, /## answer/);
});

test('the last prompt lists the story bible entries it holds with why, and those left out with why', () => {
  const md = renderLastPrompt({
    task: 'step',
    answer: '{}',
    bible: {
      included: [
        { name: 'Tomas', reason: 'alias Tom in the plan', tokens: 42 },
        { name: 'Ana', reason: 'related to Tomas', tokens: 30 },
      ],
      leftOut: [{ name: 'Ines', reason: 'Ines in paragraph 4', why: 'include: never' }],
    },
  });
  assert.match(md, /## Story bible\n\n- Tomas: alias Tom in the plan \(42 tokens\)\n- Ana: related to Tomas \(30 tokens\)\n\nLeft out:\n\n- Ines: include: never \(it came in as Ines in paragraph 4\)/);
  assert.doesNotMatch(renderLastPrompt({ task: 'step', answer: '{}' }), /Story bible/);
});

test('before the first call the last prompt says what to do', () => {
  assert.match(renderLastPrompt(null), /Recurrent: Continue/);
});

test("a reasoning model's thinking is shown collapsed, apart from the answer", () => {
  const md = renderLastPrompt({ task: 'plans', answer: '{"plans":["a","b","c"]}', reasoning: 'First I weigh the plans.' });
  assert.match(md, /<details><summary>reasoning<\/summary>\n\n```text\nFirst I weigh the plans\.\n```\n\n<\/details>\n\n## answer/);
  assert.doesNotMatch(renderLastPrompt({ task: 'plans', answer: '{}' }), /reasoning/);
});

test('the long-term memory lists one summary per entry and tolerates foreign lines', () => {
  const md = renderLongTermMemory(
    { title: 'The Keeper', step: 2, counts: { paragraphs: 3, words: 200, memoryEntries: 2 }, rationale: 'Dropped the storm.' },
    '{"summary":"Mara arrives.","hash":"a1"}\n\nnot json\n',
  );
  assert.match(md, /^# The Keeper: memory/);
  assert.match(md, /step 2, 3 paragraphs, 200 words, 2 memory entries/);
  assert.match(md, /Dropped the storm\./);
  assert.match(md, /1\. Mara arrives\.\n2\. not json/);
  assert.match(renderLongTermMemory({}, undefined), /\(empty/);
});

test('the status bar shows provider, model, memory and busy state', () => {
  assert.equal(statusView({ state: 'idle', provider: 'openai', model: 'llama3.1', memoryEntries: 12 }).text, '$(book) openai · llama3.1 · 12 mem');
  const busy = statusView({ state: 'writing', provider: 'offline' });
  assert.equal(busy.text, '$(sync~spin) offline · writing');
  assert.match(busy.tooltip, /Click to choose the next plan/);
  const updating = statusView({ state: 'updating', provider: 'offline', message: 'updating memory and plans' });
  assert.equal(updating.text, '$(sync~spin) offline · updating');
  assert.match(updating.tooltip, /updating memory and plans/);
  assert.match(statusView(undefined).tooltip, /starting/);
  assert.equal(statusView({ state: 'idle' }, true).text, '$(book) Recurrent · bible entry');
});

test('server log lines keep their level in the output channel', () => {
  assert.equal(logLevelOf('[2026-11-27 23:59:40.052] [recurrent] [info] recurrent lsp 0.1.0 started'), 'info');
  assert.equal(logLevelOf('[t] [recurrent] [warning] workspace/configuration gave no settings'), 'warn');
  assert.equal(logLevelOf('[t] [recurrent] [error] model call failed'), 'error');
  assert.equal(logLevelOf('[t] [recurrent] [debug] step 3'), 'debug');
  assert.equal(logLevelOf('terminate called after throwing an instance of std::bad_alloc'), 'error');
});
