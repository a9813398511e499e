// The plan quick pick's items, the continue arguments they lead to, and the editable plans text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { continueArguments, parsePlansDocument, planItems, planLabel, renderPlansDocument } from '../src/plans';

const plans = [
  'Mara climbs the lighthouse stairs and finds the radio warm.',
  'The storm cuts the island off; a boat appears with no one aboard, drifting in circles around the rocks until dawn breaks over the sea.',
  '  ',
];

test('one item per non-empty plan, numbered from 1, then "own", "suggest" and "edit the plans"', () => {
  const items = planItems(plans);
  assert.equal(items.length, 5);
  assert.deepEqual(items[0]?.action, { kind: 'plan', planIndex: 0, plan: plans[0] });
  assert.equal(items[0]?.description, 'plan 1');
  assert.equal(items[0]?.detail, undefined, 'a short plan needs no detail line');
  assert.equal(items[1]?.description, 'plan 2');
  assert.ok(items[1]?.label.endsWith('…'));
  assert.equal(items[1]?.detail, plans[1], 'a long plan is shown in full below its label');
  assert.equal(items[2]?.action.kind, 'own');
  assert.equal(items[3]?.action.kind, 'suggest');
  assert.equal(items[4]?.action.kind, 'editAll');
});

test('no plans yet still offers writing your own and suggesting', () => {
  assert.deepEqual(planItems(undefined).map((i) => i.action.kind), ['own', 'suggest']);
});

test('labels are one line and at most 80 characters', () => {
  const label = planLabel('a\nb   c' + ' word'.repeat(40));
  assert.ok(!label.includes('\n'));
  assert.ok(label.length <= 80);
});

test('an unchanged plan is sent by index, an edited one as free text', () => {
  const pos = { line: 4, character: 0 };
  const chosen = { kind: 'plan' as const, planIndex: 1, plan: 'Go north.' };
  assert.deepEqual(continueArguments('file:///s.md', pos, chosen, 'Go north.'), { uri: 'file:///s.md', position: pos, planIndex: 1 });
  assert.deepEqual(continueArguments('file:///s.md', pos, chosen, ' Go south. '), { uri: 'file:///s.md', position: pos, plan: 'Go south.' });
  assert.deepEqual(continueArguments('file:///s.md', undefined, { kind: 'own' }, 'My plan'), { uri: 'file:///s.md', plan: 'My plan' });
});

test('the plans text round-trips, ignoring comments, list markers and blank paragraphs', () => {
  const text = renderPlansDocument(['First plan.', 'Second\nplan.']);
  assert.deepEqual(parsePlansDocument(text), ['First plan.', 'Second plan.']);
  assert.deepEqual(parsePlansDocument('1. One\n\n- Two\n\n\n\n<!-- note -->\n\n3) Three'), ['One', 'Two', 'Three']);
});
