#!/usr/bin/env node
// A fake OpenAI-compatible model server for the editor end-to-end tests (VS Code and Neovim).
//
// Serves /v1/chat/completions (streamed as server-sent events or not), /v1/embeddings and /v1/models on
// 127.0.0.1 at a free port. A chat answer is valid JSON for whatever schema the request carries in
// `response_format.json_schema.schema`, filled with plausible strings chosen by property name; without a
// schema it answers with a plain paragraph. Every generated paragraph contains "the test model" and a
// running number, so a test can find it in the editor. GET /__requests returns how many calls each path got,
// GET /__chats the messages of every chat request so far (to check what reached a prompt), GET /__auth the
// distinct Authorization headers seen (to check that a key reached the model), POST /__chunk-delay {"ms": N}
// sets the pause between streamed pieces from then on (to close a tab while a paragraph streams).
// --check-issue JSON scripts the continuity check (schema `continuity_issues`): for every passage paragraph
// ("[P1] ...") holding the issue's `quote`, the answer reports that issue there (its source, sourceQuote,
// subtype, explanation, replacement as given); without one the check's answer is filled like any schema.
//
// Usage: node fake-model-server.mjs [--port-file FILE] [--exit-with-stdin] [--chunk-delay-ms N] [--check-issue JSON]
// Prints "listening http://127.0.0.1:PORT". Stops on SIGTERM/SIGINT, and with --exit-with-stdin when its stdin
// closes (so a parent that dies, such as a Neovim job, takes it along). --chunk-delay-ms slows streamed answers
// (default 2 ms between pieces) so a test can cancel one midway.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';

const delayArg = process.argv.indexOf('--chunk-delay-ms');
let chunkDelayMs = delayArg > 0 ? Number(process.argv[delayArg + 1]) : 2;
const checkIssues = process.argv.flatMap((a, i) => (a === '--check-issue' ? [JSON.parse(process.argv[i + 1])] : []));
const counts = {};
const chats = [];
const auths = new Set();
let paragraphs = 0;
let plans = 0;

const kPlaces = ['the lighthouse', 'the harbour', 'the radio room', 'the cliff path', 'the keeper\'s kitchen'];

// The running number is in the closing words too: no two paragraphs end alike (the server tells a removed
// paragraph by its opening and closing words).
function paragraph() {
  paragraphs += 1;
  const place = kPlaces[paragraphs % kPlaces.length];
  return (
    `Paragraph ${paragraphs} from the test model: Mara walked to ${place} while the storm leaned on the windows. ` +
    `The radio hissed a voice she almost knew, and she wrote down every word before it faded (the ${paragraphs}th time).`
  );
}

function plan() {
  plans += 1;
  const place = kPlaces[plans % kPlaces.length];
  return `Plan ${plans} from the test model: Mara follows the voice to ${place}.`;
}

/** A plausible string for a property, by its name (the schema's names are the server's business, so match loosely). */
function stringFor(name) {
  const n = name.toLowerCase();
  if (/paragraph|text|content|continuation|opening|prose|passage/.test(n)) return paragraph();
  if (/plan|instruction|choice|option|next/.test(n)) return plan();
  if (/title/.test(n)) return 'The Lighthouse Radio';
  if (/rationale|reason|why/.test(n)) return 'Kept the radio and the storm; dropped the harbour scene, which is over.';
  if (/short|memory|synopsis|outline|summary/.test(n))
    return 'Mara keeps the lighthouse alone. A radio in the lamp room speaks in a voice from the future; a storm cuts the island off.';
  if (/language/.test(n)) return 'English';
  if (/genre/.test(n)) return 'science fiction';
  if (/name|character/.test(n)) return 'Mara';
  return `A detail from the test model about ${name || 'the story'}.`;
}

/** Fills a JSON schema with plausible values (objects, arrays, strings, numbers, booleans, enums, anyOf). */
function fill(schema, name = '', defs = {}) {
  if (!schema || typeof schema !== 'object') return stringFor(name);
  if (schema.$ref) {
    const key = schema.$ref.split('/').pop();
    return fill(defs[key], name, defs);
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(schema[k])) {
      const first = schema[k].find((s) => s && s.type !== 'null') ?? schema[k][0];
      return fill(first, name, defs);
    }
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
    case undefined: {
      if (!schema.properties && type === undefined) return stringFor(name);
      const out = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = fill(v, k, defs);
      return out;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = schema.maxItems ?? Math.max(min, 3);
      const n = Math.max(min, Math.min(3, max));
      const single = name.replace(/s$/, '');
      return Array.from({ length: n }, () => fill(schema.items, single, defs));
    }
    case 'integer':
      return Math.max(schema.minimum ?? 1, 1);
    case 'number':
      return schema.minimum ?? 0.5;
    case 'boolean':
      return false;
    default:
      return stringFor(name);
  }
}

/** The scripted issues of a continuity check request, each on the passage paragraphs that hold its quote. */
function checkAnswer(request) {
  const user = (request.messages ?? []).filter((m) => m.role === 'user').map((m) => String(m.content)).join('\n');
  const issues = [];
  for (const [, label, text] of user.matchAll(/^\[(P\d+)\] (.*)$/gm))
    for (const issue of checkIssues)
      if (text.includes(issue.quote)) issues.push({ paragraph: label, severity: 'high', replacement: '', ...issue });
  return JSON.stringify({ issues });
}

function answerFor(request) {
  const rf = request.response_format;
  if (checkIssues.length > 0 && rf?.json_schema?.name === 'continuity_issues') return checkAnswer(request);
  const schema = rf?.json_schema?.schema;
  if (schema) {
    const defs = { ...(schema.$defs ?? {}), ...(schema.definitions ?? {}) };
    return JSON.stringify(fill(schema, rf.json_schema.name ?? '', defs));
  }
  if (rf?.type === 'json_object')
    return JSON.stringify({ paragraph: paragraph(), summary: stringFor('summary'), shortTermMemory: stringFor('memory'), plans: [plan(), plan(), plan()] });
  return paragraph();
}

/** Hashed, normalised 16-dimensional vectors: deterministic, and similar texts share dimensions. */
function embed(text) {
  const v = new Array(16).fill(0);
  for (const word of String(text).toLowerCase().split(/\W+/).filter(Boolean)) {
    let h = 2166136261;
    for (const c of word) h = Math.imul(h ^ c.codePointAt(0), 16777619) >>> 0;
    v[h % 16] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function chat(request, res) {
  chats.push(request.messages ?? []);
  const content = answerFor(request);
  const id = `chatcmpl-test-${Date.now()}`;
  const model = request.model || 'test-model';
  const usage = { prompt_tokens: 100, completion_tokens: Math.ceil(content.length / 4), total_tokens: 100 + Math.ceil(content.length / 4) };
  if (!request.stream) {
    send(res, 200, {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (delta, finish = null, extra = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  const pieces = [chunk({ role: 'assistant', content: '' })];
  // Uneven pieces (7, 13, 7, 13, …) so the server's stream parser sees tokens cut anywhere.
  for (let i = 0, k = 0; i < content.length; k++) {
    const n = k % 2 === 0 ? 7 : 13;
    pieces.push(chunk({ content: content.slice(i, i + n) }));
    i += n;
  }
  pieces.push(chunk({}, 'stop', { usage }));
  pieces.push('data: [DONE]\n\n');
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i >= pieces.length) return res.end();
    res.write(pieces[i++]);
    setTimeout(next, chunkDelayMs);
  };
  next();
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
  counts[path] = (counts[path] ?? 0) + 1;
  if (req.headers.authorization) auths.add(req.headers.authorization);
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    let request = {};
    try {
      request = body ? JSON.parse(body) : {};
    } catch {
      return send(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
    }
    if (req.method === 'GET' && path === '/__requests') return send(res, 200, counts);
    if (req.method === 'GET' && path === '/__chats') return send(res, 200, chats);
    if (req.method === 'GET' && path === '/__auth') return send(res, 200, [...auths]);
    if (req.method === 'POST' && path === '/__chunk-delay') {
      chunkDelayMs = Math.max(0, Number(request.ms) || 0);
      return send(res, 200, { ms: chunkDelayMs });
    }
    if (req.method === 'GET' && path.endsWith('/models'))
      return send(res, 200, { object: 'list', data: [{ id: 'test-model', object: 'model', owned_by: 'test' }, { id: 'test-embed', object: 'model', owned_by: 'test' }] });
    if (req.method === 'POST' && path.endsWith('/chat/completions')) return chat(request, res);
    if (req.method === 'POST' && path.endsWith('/embeddings')) {
      const inputs = Array.isArray(request.input) ? request.input : [request.input ?? ''];
      return send(res, 200, {
        object: 'list',
        model: request.model || 'test-embed',
        data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: embed(t) })),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
    }
    send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const portFile = process.argv.indexOf('--port-file');
  if (portFile > 0) writeFileSync(process.argv[portFile + 1], String(port));
  process.stdout.write(`listening http://127.0.0.1:${port}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
