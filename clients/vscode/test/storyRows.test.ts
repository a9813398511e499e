// The Story view's rows: plans that write on a click, the short-term and long-term memory, nothing for a non-story.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storyRows } from '../src/storyRows';

const state = {
  adopted: true,
  step: 4,
  plans: ['Mara reads the letter aloud.', '  ', 'The ferryman refuses to cross before the storm has passed over the island.'],
  shortTermMemory: 'Mara has the letter.\nShe has not opened it.',
  rationale: 'The letter arrived.',
  counts: { paragraphs: 12, memoryEntries: 1200, words: 2000, chapters: 1 },
};

test('an adopted story shows its plans, which write the next paragraph on a click, and both memories', () => {
  const [plans, shortTerm, longTerm] = storyRows(state);
  assert.equal(plans!.label, 'Plans for the next paragraph');
  const rows = plans!.children!;
  assert.deepEqual(rows.map((r) => r.description), ['plan 1', 'plan 3', undefined, undefined], 'the blank plan is left out, numbers as the server counts');
  assert.deepEqual(rows[1]!.command, { command: 'recurrent.ui.continueWithPlan', title: 'Continue With This Plan', arguments: [2] });
  assert.match(rows[1]!.tooltip!, /before the storm has passed over the island\./, 'the whole plan in the tooltip');
  assert.deepEqual(rows.slice(2).map((r) => r.command!.command), ['recurrent.ui.suggestPlans', 'recurrent.ui.editPlans']);
  assert.equal(shortTerm!.children![0]!.label, 'Mara has the letter. She has not opened it.');
  assert.match(shortTerm!.children![0]!.tooltip!, /Why it changed: The letter arrived\./);
  assert.equal(shortTerm!.children![0]!.command!.command, 'recurrent.ui.editShortTermMemory');
  assert.equal(longTerm!.children![0]!.label, '1,200 entries');
  assert.equal(longTerm!.children![0]!.description, 'step 4 · 12 paragraphs');
  assert.equal(longTerm!.children![1]!.command!.command, 'recurrent.ui.searchMemory');
});

test('while the server writes, a plan cannot be clicked into a refusal', () => {
  const plans = storyRows({ ...state, busy: true })[0]!.children!;
  assert.equal(plans[0]!.command, undefined);
  assert.match(plans[0]!.description!, /writing/);
});

test('a file that is not a story has no rows: the welcome text offers Adopt', () => {
  assert.deepEqual(storyRows({ adopted: false, counts: { paragraphs: 3 } }), []);
  assert.deepEqual(storyRows(undefined), []);
});
