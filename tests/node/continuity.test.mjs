// The model's continuity check through the real server with an independent client (vscode-jsonrpc), as an
// editor drives it: a continuation (applied through workspace/applyEdit) whose paragraph contradicts the story
// bible becomes a diagnostic after the step, once; its quick fix replaces only the quoted words, and "record a
// fact" makes the text canon, so the diagnostic goes. The fake model server (tests/vscode) is scripted to
// report the contradiction when it checks a passage holding the quote.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter,
  InitializeRequest, InitializedNotification, ShutdownRequest, ExitNotification,
  DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, PublishDiagnosticsNotification,
  ExecuteCommandRequest, CodeActionRequest, ApplyWorkspaceEditRequest, ConfigurationRequest,
} from 'vscode-languageserver-protocol/node';
import { applyEdits, offsetAt } from './edits.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.RECURRENT_BIN || path.resolve(here, '../../build/recurrent');
const processes = [];
after(() => processes.forEach((p) => p.exitCode === null && p.kill()));

const kExplanation = 'The bible says no storm ever reaches the lighthouse.';
const kIssue = {
  quote: 'the storm leaned on the windows', // in every paragraph the fake model writes
  subtype: 'world-building',
  source: 'Mara',
  sourceQuote: 'no storm ever reaches the lighthouse',
  explanation: kExplanation,
  replacement: 'the wind leaned on the windows',
};

async function modelServer() {
  const portFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'recurrent-model-')), 'port');
  const proc = spawn('node', [path.resolve(here, '../vscode/fake-model-server.mjs'), '--port-file', portFile,
    '--check-issue', JSON.stringify(kIssue)], { stdio: ['ignore', 'ignore', 'inherit'] });
  processes.push(proc);
  for (let i = 0; i < 200 && !(fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8')); i++)
    await new Promise((r) => setTimeout(r, 25));
  return `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8')}/v1`;
}

test('a contradicting continuation is a diagnostic after its step; the fix and record a fact each clear it', async () => {
  const baseUrl = await modelServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recurrent-continuity-'));
  fs.mkdirSync(path.join(dir, 'story.bible'));
  fs.writeFileSync(path.join(dir, 'story.bible', 'mara.md'),
    '---\ntype: character\n---\n# Mara\n\nThe keeper.\n\n- weather: no storm ever reaches the lighthouse\n');
  const story = '# Chapter One\n\nThe lighthouse had been dark for eleven years when Mara took the keys.\n\n' +
    'In the morning the door was open, and the sand in front of it held the print of a bare foot.\n';
  fs.writeFileSync(path.join(dir, 'story.md'), story);
  const uri = pathToFileURL(path.join(dir, 'story.md')).href;

  const proc = spawn(bin, ['lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
  processes.push(proc);
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  const connection = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  // The editor's side: settings, edits applied to its text (didChange first, then the answer, as VS Code does).
  let text = story;
  let version = 1;
  const change = async (next) => {
    text = next;
    await connection.sendNotification(DidChangeTextDocumentNotification.type,
      { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });
  };
  connection.onRequest(ConfigurationRequest.type, (params) =>
    params.items.map(() => ({ provider: 'openai', baseUrl, model: 'test-model', streaming: false })));
  connection.onRequest(ApplyWorkspaceEditRequest.type, async ({ edit }) => {
    await change(applyEdits(text, edit.changes?.[uri] ?? edit.documentChanges?.flatMap((c) => c.edits) ?? []));
    return { applied: true };
  });
  let diagnostics = [];
  let published = () => undefined;
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri !== uri) return;
    diagnostics = p.diagnostics;
    published();
  });
  const finding = () => diagnostics.find((d) => d.message === kExplanation);
  const until = (done, what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 30_000);
    published = () => done() && (clearTimeout(timer), resolve());
    published();
  });
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid, rootUri: null, clientInfo: { name: 'node-test' },
    capabilities: { workspace: { applyEdit: true, configuration: true } },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'markdown', version, text } });
  await connection.sendRequest(ExecuteCommandRequest.type, { command: 'recurrent.adopt', arguments: [{ uri }] });
  assert.equal(finding(), undefined, 'no finding before the step');

  const lines = text.split('\n').length;
  const step = await connection.sendRequest(ExecuteCommandRequest.type,
    { command: 'recurrent.continue', arguments: [{ uri, position: { line: lines - 1, character: 0 } }] });
  assert.equal(step.step, 1);
  await until(() => finding(), 'the model\'s finding on the new paragraph');
  const d = finding();
  assert.equal(d.severity, 2, 'a contradiction of the bible is a warning');
  assert.equal(d.code, 'world-building');
  assert.equal(text.slice(offsetAt(text, d.range.start), offsetAt(text, d.range.end)), kIssue.quote);

  const actions = await connection.sendRequest(CodeActionRequest.type,
    { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
  const fix = actions.find((a) => a.title === `Use ‘${kIssue.replacement}’`);
  const canon = actions.find((a) => a.title.startsWith('This changed here: record a fact'));
  assert.ok(fix && canon, actions.map((a) => a.title).join(' | '));
  const withQuote = text;
  await change(applyEdits(text, fix.edit.changes[uri]));
  assert.equal(text, withQuote.replace(kIssue.quote, kIssue.replacement), 'only the quote changed');
  await until(() => !finding(), 'the finding gone once its paragraph changed');

  // Back to the model's words: the cache knows the finding again (no second check). A fact makes them canon.
  await change(withQuote);
  await until(() => finding(), 'the finding back with the words');
  await change(applyEdits(text, canon.edit.changes[uri]));
  assert.match(text, /<!-- fact: Mara/);
  await until(() => !finding(), 'the finding gone once the fact is recorded');

  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
  assert.equal(await exited, 0);
  connection.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
