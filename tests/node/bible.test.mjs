// The story bible through the real server with an independent client (vscode-jsonrpc): references and
// rename of a name across open and closed chapter files of a folder book, with emoji and CJK before the
// names (UTF-16 positions), as VS Code sends and applies them.
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
  DidOpenTextDocumentNotification, ReferencesRequest, RenameRequest, PrepareRenameRequest, DefinitionRequest,
  PublishDiagnosticsNotification, ExecuteCommandRequest, DocumentDiagnosticRequest, DidChangeTextDocumentNotification,
} from 'vscode-languageserver-protocol/node';
import { applyEdits, offsetAt } from './edits.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.RECURRENT_BIN || path.resolve(here, '../../build/recurrent');
const servers = [];
after(() => servers.forEach((p) => p.exitCode === null && p.kill()));

function writeBook() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'recurrent-bible-'));
  fs.mkdirSync(path.join(root, '.recurrent', 'book'), { recursive: true }); // a folder book, not a story
  fs.mkdirSync(path.join(root, 'bible'));
  const files = {
    '01-harbour.md': '# Harbour 🌊\n\n雨 fell on 屋根 as Ana came ashore. 😀 Ana laughed.\n\nThe 安娜 of the songs was Ana.\n',
    '02-letter.md': '# Letter\n\n👩‍👩‍👧 The letter was for Ana, not for Anastasia.\n',
    '03-storm.md': '# Storm\n\nThe storm 第三章 broke; Ana held the wheel.\n',
    'bible/ana.md': '---\ntype: character\naliases: [安娜]\n---\n# Ana\n\nA sailor.\n',
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
  return { root, files, uri: (name) => pathToFileURL(path.join(root, name)).href };
}

/** Mentions a reader counts: "Ana" as a whole word (not in "Anastasia") and the alias 安娜. */
function count(text) {
  return (text.match(/(?<![\p{L}\p{N}])Ana(?![\p{L}\p{N}])/gu) || []).length + (text.match(/安娜/g) || []).length;
}

async function start(textDocument = {}) {
  const proc = spawn(bin, ['lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  servers.push(proc);
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  const connection = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid, rootUri: null, clientInfo: { name: 'node-test' },
    capabilities: { textDocument, workspace: { workspaceEdit: { documentChanges: true, changeAnnotationSupport: { groupsOnLabel: true } } } },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  return { connection, exited, init };
}

test('references and rename of a bible name reach every chapter, open or closed, in UTF-16 positions', async () => {
  const book = writeBook();
  const s = await start();
  assert.equal(s.init.capabilities.referencesProvider, true);
  for (const name of ['01-harbour.md', '02-letter.md'])
    await s.connection.sendNotification(DidOpenTextDocumentNotification.type,
      { textDocument: { uri: book.uri(name), languageId: 'markdown', version: 1, text: book.files[name] } });

  const harbour = book.files['01-harbour.md'];
  const at = (text, needle, from = 0) => {
    const index = text.indexOf(needle, from);
    const before = text.slice(0, index);
    return { line: before.split('\n').length - 1, character: index - (before.lastIndexOf('\n') + 1) };
  };
  const position = at(harbour, 'Ana came');
  const refs = await s.connection.sendRequest(ReferencesRequest.type,
    { textDocument: { uri: book.uri('01-harbour.md') }, position, context: { includeDeclaration: false } });
  const chapters = ['01-harbour.md', '02-letter.md', '03-storm.md'];
  for (const name of chapters) {
    const mine = refs.filter((r) => r.uri === book.uri(name));
    assert.equal(mine.length, count(book.files[name]), `references in ${name}`);
    for (const r of mine) { // each range holds the name itself
      const text = book.files[name];
      const found = text.slice(offsetAt(text, r.range.start), offsetAt(text, r.range.end));
      assert.ok(found === 'Ana' || found === '安娜', `${name}: ${found}`);
    }
  }

  const definition = await s.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: book.uri('01-harbour.md') }, position });
  assert.equal(definition.uri, book.uri('bible/ana.md'));

  const prepared = await s.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: book.uri('01-harbour.md') }, position });
  assert.equal(prepared.placeholder, 'Ana');
  const edit = await s.connection.sendRequest(RenameRequest.type,
    { textDocument: { uri: book.uri('01-harbour.md') }, position, newName: 'Anneliese' });
  const after = { ...Object.fromEntries(chapters.map((n) => [book.uri(n), book.files[n]])), [book.uri('bible/ana.md')]: book.files['bible/ana.md'] };
  for (const change of edit.documentChanges) {
    assert.ok(change.textDocument.uri in after, change.textDocument.uri);
    after[change.textDocument.uri] = applyEdits(after[change.textDocument.uri], change.edits);
  }
  for (const [uri, text] of Object.entries(after)) {
    assert.equal((text.match(/(?<![\p{L}\p{N}])Ana(?![\p{L}\p{N}])/gu) || []).length, 0, `${uri}: ${text}`);
  }
  assert.match(after[book.uri('bible/ana.md')], /^# Anneliese$/m);
  assert.match(after[book.uri('02-letter.md')], /not for Anastasia/);
  assert.match(after[book.uri('01-harbour.md')], /The 安娜 of the songs/); // the alias is its own name

  await s.connection.sendRequest(ShutdownRequest.type);
  await s.connection.sendNotification(ExitNotification.type);
  assert.equal(await s.exited, 0);
  s.connection.dispose();
  fs.rmSync(book.root, { recursive: true, force: true });
});

test('a finding links its code to the page that explains it; without showDocument the other passage is named', async () => {
  const book = writeBook();
  fs.writeFileSync(path.join(book.root, 'bible/elizabeth.md'), '---\ntype: character\n---\n# Elizabeth\n');
  const s = await start({ publishDiagnostics: { codeDescriptionSupport: true } });
  const uri = book.uri('02-letter.md');
  const text = '# Letter\n\nElizabteh read the letter.\n';
  const published = new Promise((resolve) => s.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri === uri && p.diagnostics.length) resolve(p.diagnostics);
  }));
  await s.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'markdown', version: 1, text } });
  const [finding] = await published;
  assert.equal(finding.code, 'name-misspelling');
  const href = new URL(finding.codeDescription.href);
  assert.equal(href.hash, '#name-misspelling');
  assert.match(href.pathname, /\/docs\/checks\.md$/);
  const page = fs.readFileSync(fileURLToPath(new URL(href.pathname, 'file:')), 'utf8');
  assert.match(page, /^### name-misspelling$/m);

  const where = finding.relatedInformation[0].location;
  await assert.rejects(s.connection.sendRequest(ExecuteCommandRequest.type, { command: 'recurrent.showPassage', arguments: [where] }),
    (e) => /cannot be asked to open a file.*elizabeth\.md:4/.test(e.message));

  await s.connection.sendRequest(ShutdownRequest.type);
  await s.connection.sendNotification(ExitNotification.type);
  assert.equal(await s.exited, 0);
  s.connection.dispose();
  fs.rmSync(book.root, { recursive: true, force: true });
});

test('a client that pulls diagnostics gets them as answers, each after the edit it follows, and none pushed', async () => {
  const book = writeBook();
  fs.writeFileSync(path.join(book.root, 'bible/elizabeth.md'), '---\ntype: character\n---\n# Elizabeth\n');
  const s = await start({ diagnostic: { dynamicRegistration: false } });
  assert.equal(s.init.capabilities.diagnosticProvider.interFileDependencies, true);
  const uri = book.uri('02-letter.md');
  const pushed = [];
  s.connection.onNotification(PublishDiagnosticsNotification.type, (p) => p.uri === uri && pushed.push(p));
  const text = '# Letter\n\nElizabteh read the letter.\n';
  await s.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'markdown', version: 1, text } });
  // Asked at once, the answer waits for the checks of the text just opened.
  const pull = () => s.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
  const first = await pull();
  assert.equal(first.kind, 'full');
  assert.deepEqual(first.items.map((d) => d.code), ['name-misspelling']);
  await s.connection.sendNotification(DidChangeTextDocumentNotification.type,
    { textDocument: { uri, version: 2 }, contentChanges: [{ text: text.replace('Elizabteh', 'Elizabeth') }] });
  assert.deepEqual((await pull()).items, [], 'the answer after the fix, not the one before it');
  assert.deepEqual(pushed.filter((p) => p.diagnostics.length > 0), [], 'nothing pushed for an open document');

  await s.connection.sendRequest(ShutdownRequest.type);
  await s.connection.sendNotification(ExitNotification.type);
  assert.equal(await s.exited, 0);
  s.connection.dispose();
  fs.rmSync(book.root, { recursive: true, force: true });
});
