// The Search Memory quick pick's items, built from the server's workspace/symbol answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryItems } from '../src/memorySearch';

const range = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 40 } });

test('each paragraph found becomes an item shown whatever the query, in the server\'s order', () => {
  const items = memoryItems([
    { name: '¶7 Bingley dances twice with Jane.', containerName: 'Chapter 3', location: { uri: 'file:///w/pride%20and.md', range: range(40) } },
    { name: '¶2 Mrs Bennet plans the ball.', location: { uri: 'file:///w/pride%20and.md', range: range(6) } },
  ]);
  assert.equal(items.length, 2);
  assert.deepEqual(
    items.map((i) => [i.label, i.description, i.line, i.alwaysShow]),
    [
      ['Bingley dances twice with Jane.', '¶7 · Chapter 3 · pride and.md', 40, true],
      ['Mrs Bennet plans the ball.', '¶2 · pride and.md', 6, true],
    ],
  );
  assert.equal(items[0]!.uri, 'file:///w/pride%20and.md');
});

test('a long summary is cut in the label and whole in the detail; no answer is no items', () => {
  const long = 'word '.repeat(40).trim();
  const [item] = memoryItems([{ name: `¶1 ${long}`, location: { uri: 'file:///a.md', range: range(0) } }]);
  assert.ok(item!.label.length <= 90 && item!.label.endsWith('…'));
  assert.equal(item!.detail, long);
  assert.deepEqual(memoryItems(null), []);
  assert.equal(memoryItems([{ name: 'no number', location: { uri: 'file:///a.md', range: range(3) } }])[0]!.label, 'no number');
});
