// Settings → server environment and `workspace/configuration` mapping, and the server's path.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kDefaults, needsRestart, readSettings, resolveServerCommand, serverConfiguration, serverEnvironment } from '../src/settings';

const from = (values: Record<string, unknown>) => readSettings((k) => values[k]);

test('nothing configured gives the defaults (auto provider, streaming on)', () => {
  assert.deepEqual(from({}), kDefaults);
});

test('bad types fall back to defaults; strings are trimmed', () => {
  const s = from({ provider: 'gemini', topK: '5', temperature: Number.NaN, baseUrl: '  http://127.0.0.1:11434/v1 ', 'trace.server': 'loud' });
  assert.equal(s.provider, 'auto');
  assert.equal(s.topK, 3);
  assert.equal(s.temperature, 0.7);
  assert.equal(s.baseUrl, 'http://127.0.0.1:11434/v1');
  assert.equal(s.trace, 'off');
});

test('the server configuration leaves unset values out and never carries client-only settings', () => {
  const cfg = serverConfiguration(from({ 'server.path': '/opt/recurrent', 'trace.server': 'verbose', model: '' }));
  assert.deepEqual(cfg, {
    topK: 3,
    temperature: 0.7,
    contextTokens: 8192,
    streaming: true,
    automaticGhostText: false,
    undoStepWithText: 'ask',
    autoAdopt: false,
    confirmSummariesAbove: 40,
    confirmLocal: false,
    bibleShare: 0.25,
    checkAfterStep: true,
    checkOnSave: false,
  });
  const ollama = serverConfiguration(from({ provider: 'openai', baseUrl: 'http://localhost:11434/v1', model: 'llama3.1', language: '中文', topK: 5 }));
  assert.deepEqual(ollama, {
    provider: 'openai',
    baseUrl: 'http://localhost:11434/v1',
    model: 'llama3.1',
    language: '中文',
    topK: 5,
    temperature: 0.7,
    contextTokens: 8192,
    streaming: true,
    automaticGhostText: false,
    undoStepWithText: 'ask',
    autoAdopt: false,
    confirmSummariesAbove: 40,
    confirmLocal: false,
    bibleShare: 0.25,
    checkAfterStep: true,
    checkOnSave: false,
  });
});

test('the bible share is kept between 0 and 1', () => {
  assert.equal(from({ bibleShare: 0.4 }).bibleShare, 0.4);
  assert.equal(from({ checkAfterStep: false }).checkAfterStep, false);
  assert.equal(from({ checkAfterStep: 'no' }).checkAfterStep, true);
  assert.equal(from({ bibleShare: 3 }).bibleShare, 1);
  assert.equal(from({ bibleShare: -1 }).bibleShare, 0);
  assert.equal(from({ bibleShare: 'half' }).bibleShare, 0.25);
});

test('the environment carries the backend settings and the key, and inherits the rest', () => {
  const base = { PATH: '/usr/bin', RECURRENT_BASE_URL: 'http://from-shell/v1', OPENAI_API_KEY: 'old', UNSET: undefined };
  const env = serverEnvironment(from({ provider: 'openai', model: 'gpt-4o-mini' }), 'sk-secret', base);
  assert.equal(env.PATH, '/usr/bin');
  assert.equal(env.RECURRENT_PROVIDER, 'openai');
  assert.equal(env.RECURRENT_MODEL, 'gpt-4o-mini');
  assert.equal(env.RECURRENT_BASE_URL, 'http://from-shell/v1', 'an unset setting keeps the shell variable');
  assert.equal(env.RECURRENT_API_KEY, 'sk-secret');
  assert.ok(!('UNSET' in env));
  const offline = serverEnvironment(from({ provider: 'offline', baseUrl: 'http://127.0.0.1:9/v1' }), undefined, {});
  assert.equal(offline.RECURRENT_PROVIDER, 'offline');
  assert.equal(offline.RECURRENT_BASE_URL, 'http://127.0.0.1:9/v1');
  assert.ok(!('RECURRENT_API_KEY' in offline), 'no key, no variable');
});

test('a new path or backend restarts the server; tuning does not', () => {
  const a = from({});
  assert.equal(needsRestart(a, from({ temperature: 1.1, topK: 8, streaming: false })), false);
  assert.equal(needsRestart(a, from({ 'server.path': '/x/recurrent' })), true);
  assert.equal(needsRestart(a, from({ baseUrl: 'http://127.0.0.1:1234/v1' })), true);
  assert.equal(needsRestart(a, from({ provider: 'offline' })), true);
});

test('the server path: setting, then bundled binary, then PATH, else missing', () => {
  const has = (...paths: string[]) => (p: string) => paths.includes(p);
  assert.deepEqual(resolveServerCommand('/opt/r', '/ext/server/recurrent', '/usr/bin', has('/opt/r', '/ext/server/recurrent')), {
    command: '/opt/r',
    source: 'setting',
  });
  assert.deepEqual(resolveServerCommand('/opt/r', '/ext/server/recurrent', '/usr/bin', has('/ext/server/recurrent')), {
    command: '/opt/r',
    source: 'missing',
  });
  assert.deepEqual(resolveServerCommand('', '/ext/server/recurrent', '/usr/bin', has('/ext/server/recurrent')), {
    command: '/ext/server/recurrent',
    source: 'bundled',
  });
  assert.deepEqual(resolveServerCommand('', '/ext/server/recurrent', '/usr/bin:/home/w/bin/', has('/home/w/bin/recurrent')), {
    command: '/home/w/bin/recurrent',
    source: 'path',
  });
  assert.deepEqual(resolveServerCommand('', '/ext/server/recurrent', undefined, has()), { command: 'recurrent', source: 'missing' });
});

test('every recurrent.* setting of the manifest reaches the server, except the client-only ones', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const keys = Object.keys(manifest.contributes.configuration.properties).map((k) => k.replace(/^recurrent\./, ''));
  const clientOnly = new Set(['server.path', 'trace.server']);
  // Values unlike the defaults, so a key that readSettings drops shows as missing.
  const sample: Record<string, unknown> = { provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', embedModel: 'e', language: 'fr' };
  for (const [k, v] of Object.entries(kDefaults)) if (typeof v === 'boolean') sample[k] = !v;
  const sent = serverConfiguration(from(sample));
  for (const key of keys) if (!clientOnly.has(key)) assert.ok(key in sent, `recurrent.${key} is sent to the server`);
});
