// End-to-end tests of `recurrent lsp` with an independent client (vscode-jsonrpc +
// vscode-languageserver-protocol, the library VS Code's client is built on).
// Run: tests/node/run (or RECURRENT_BIN=... node --test from this folder).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter,
  InitializeRequest, InitializedNotification, ShutdownRequest, ExitNotification,
  DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, DocumentSymbolRequest,
  HoverRequest, FoldingRangeRequest, ConfigurationRequest, LogMessageNotification,
} from 'vscode-languageserver-protocol/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.RECURRENT_BIN || path.resolve(here, '../../build/recurrent');
const servers = [];
after(() => servers.forEach((p) => p.exitCode === null && p.kill()));

/** Starts the server and a connection; collects log messages and logger errors. */
function start({ capabilities = {}, settings = {} } = {}) {
  const proc = spawn(bin, ['lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  servers.push(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  const loggerErrors = [];
  const logger = { error: (m) => loggerErrors.push(m), warn: () => {}, info: () => {}, log: () => {} };
  const connection = createProtocolConnection(new StreamMessageReader(proc.stdout),
    new StreamMessageWriter(proc.stdin), logger);
  const logs = [];
  connection.onNotification(LogMessageNotification.type, (p) => logs.push(p));
  connection.onRequest(ConfigurationRequest.type, (p) => p.items.map(() => settings));
  connection.listen();
  const init = connection.sendRequest(InitializeRequest.type, {
    processId: process.pid, rootUri: null, capabilities, clientInfo: { name: 'node-test' },
  }).then(async (result) => { await connection.sendNotification(InitializedNotification.type, {}); return result; });
  return { proc, connection, logs, loggerErrors, init, exited, stderr: () => stderr };
}

async function stop(s) {
  await s.connection.sendRequest(ShutdownRequest.type);
  await s.connection.sendNotification(ExitNotification.type);
  const code = await s.exited;
  s.connection.dispose();
  return code;
}

/** A generated manuscript: `chapters` chapters of two scenes, with emoji and CJK in the prose. */
function manuscript(chapters) {
  let text = '';
  for (let c = 1; c <= chapters; c++) {
    text += `# Chapter ${c}\n\n`;
    text += `Rain 🌧️ on the 屋根 of house ${c}. The 😀 lamp glowed.\nA second line.\n\n`;
    text += `Another paragraph, 第${c}章, continues here.\n\n***\n\n`;
    text += `The scene after the break 👩‍👩‍👧 ends.\n\n`;
  }
  return text;
}

/** Line/character (UTF-16, as JavaScript strings count) of string index `index`. */
function positionAt(text, index) {
  const before = text.slice(0, index);
  const line = before.split('\n').length - 1;
  return { line, character: index - (before.lastIndexOf('\n') + 1) };
}

test('documentSymbol ranges follow incremental edits with emoji and CJK before the edit point', async () => {
  const s = start({ capabilities: { workspace: { configuration: true } }, settings: { model: 'x' } });
  const init = await s.init;
  assert.equal(init.capabilities.positionEncoding, 'utf-16');
  const uri = 'file:///tmp/recurrent-node/story.md';
  let text = manuscript(12);
  let version = 1;
  await s.connection.sendNotification(DidOpenTextDocumentNotification.type,
    { textDocument: { uri, languageId: 'markdown', version, text } });

  const edit = async (start, end, insert) => {
    const range = { start: positionAt(text, start), end: positionAt(text, end) };
    text = text.slice(0, start) + insert + text.slice(end);
    version += 1;
    await s.connection.sendNotification(DidChangeTextDocumentNotification.type,
      { textDocument: { uri, version }, contentChanges: [{ range, text: insert }] });
  };
  // Edits after emoji and CJK on the same line, in the middle of the book.
  for (let c = 3; c <= 9; c += 3) {
    const line = text.indexOf(`of house ${c}.`);
    await edit(line, line, '🍎 中文 ');
  }
  // Replace a word after a ZWJ sequence.
  const ends = text.indexOf('ends.', text.indexOf('# Chapter 5'));
  await edit(ends, ends + 4, 'finishes');
  // A new paragraph (and scene break) in chapter 7.
  const ch8 = text.indexOf('# Chapter 8');
  await edit(ch8, ch8, '* * *\n\n新しい 場面 🎬 here.\n\n');
  // Delete a line.
  const second = text.indexOf('A second line.', text.indexOf('# Chapter 10'));
  await edit(second - 1, second + 'A second line.'.length, '');

  const symbols = await s.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
  assert.equal(symbols.length, 12);
  for (let c = 1; c <= 12; c++) {
    const chapter = symbols[c - 1];
    assert.equal(chapter.name, `Chapter ${c}`);
    assert.deepEqual(chapter.range.start, positionAt(text, text.indexOf(`# Chapter ${c}\n`)));
    for (const scene of chapter.children) {
      // Each scene ends at the end of a line of prose, as the client counts it.
      const lines = text.split('\n');
      assert.equal(scene.range.end.character, lines[scene.range.end.line].length,
        `scene end ${JSON.stringify(scene.range.end)} in chapter ${c}`);
    }
  }
  const ch7 = symbols[6];
  assert.equal(ch7.children.length, 3);
  assert.deepEqual(ch7.children[2].range.start, positionAt(text, text.indexOf('新しい')));
  assert.deepEqual(ch7.children[2].range.end, positionAt(text, text.indexOf('here.', text.indexOf('新しい')) + 5));
  // Chapter 3's first scene (two paragraphs) ends after the line that was edited behind emoji and CJK.
  const ch3 = symbols[2].children[0];
  const ch3End = text.indexOf('continues here.', text.indexOf('of house 3')) + 'continues here.'.length;
  assert.deepEqual(ch3.range.end, positionAt(text, ch3End));

  const hover = await s.connection.sendRequest(HoverRequest.type,
    { textDocument: { uri }, position: positionAt(text, text.indexOf('中文')) });
  assert.match(hover.contents.value, /Paragraph \d+ of \d+/);
  assert.match(hover.contents.value, /Chapter 3/);
  const folds = await s.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
  assert.ok(folds.length >= 12);

  assert.equal(await stop(s), 0);
  assert.deepEqual(s.loggerErrors, []);
});

test('bad input gets the right error or log line and the server keeps answering', async () => {
  const s = start();
  await s.init;
  const alive = async () => {
    const e = await s.connection.sendRequest('recurrent/noSuchMethod', {}).then(() => null, (err) => err);
    assert.equal(e.code, -32601, 'an unknown method is MethodNotFound');
  };
  const raw = (bytes) => new Promise((resolve) => s.proc.stdin.write(bytes, resolve));
  const frame = (body) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  await alive();
  // Garbage bytes.
  await raw(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
  await alive();
  // A Content-Length too short: the rest of the body is garbage that the server skips.
  await raw('Content-Length: 10\r\n\r\n{"jsonrpc":"2.0","id":99,"method":"x"}');
  await alive();
  // A Content-Length too long, padded: the body is invalid JSON.
  await raw(`Content-Length: 100\r\n\r\n{"jsonrpc":"2.0","id":98${' '.repeat(76)}`);
  await alive();
  // Invalid JSON.
  await raw(frame('{"jsonrpc":"2.0","id":97,"method":'));
  await alive();
  // Wrong param types: InvalidParams naming the field.
  const bad = await s.connection.sendRequest(HoverRequest.type,
    { textDocument: { uri: 7 }, position: { line: 0, character: 0 } }).then(() => null, (e) => e);
  assert.equal(bad.code, -32602);
  assert.match(bad.message, /textDocument\.uri: expected a string/);
  // Negative and absurd lengths.
  await raw('Content-Length: -4\r\n\r\n');
  await raw('Content-Length: 999999999999999\r\n\r\n');
  await alive();
  // A 64 MiB message: over the 32 MiB cap, skipped without being buffered.
  const size = 64 * 1024 * 1024;
  await raw(`Content-Length: ${size}\r\n\r\n`);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < 64; i++) await raw(chunk);
  await alive();

  const messages = s.logs.map((l) => l.message).join('\n');
  assert.match(messages, /malformed header line|without Content-Length/);
  assert.match(messages, /invalid Content-Length '-4'/);
  assert.match(messages, /absurd/);
  assert.match(messages, /67108864 bytes exceeds the limit/);
  // Parse errors come back with a null id, which the client library reports through its logger.
  assert.ok(s.loggerErrors.some((m) => /-32700|invalid JSON/.test(String(m))), s.loggerErrors.join('\n'));
  assert.equal(await stop(s), 0);
});

test('exit without shutdown exits with 1; end of input exits cleanly', async () => {
  const rude = start();
  await rude.init;
  await rude.connection.sendNotification(ExitNotification.type);
  assert.equal(await rude.exited, 1);
  rude.connection.dispose();

  const eof = start();
  await eof.init;
  eof.connection.dispose();
  eof.proc.stdin.end();
  assert.equal(await eof.exited, 0);
});
