// Where the server's code actions are offered without being asked for, and their titles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionTitle, offerActionsAt } from '../src/codeActions';

const doc = ['# One', '', 'First paragraph.', '', '<!-- plan: she opens the door -->', '', 'Last paragraph,', 'two lines.', '', ''];
const at = (line: number, asked = false) => offerActionsAt(doc.length, (i) => doc[i]!, line, asked);

test('the lightbulb shows where the next paragraph goes and on a plan comment, not on every line', () => {
  assert.equal(at(0), false);
  assert.equal(at(2), false);
  assert.equal(at(4), true, 'a plan comment');
  assert.equal(at(6), true, 'the last paragraph');
  assert.equal(at(7), true);
  assert.equal(at(9), true, 'below it');
  assert.equal(at(2, true), true, 'Ctrl+. asks everywhere');
  assert.equal(offerActionsAt(0, () => '', 0, false), true, 'an empty document');
});

test('the actions say they are Recurrent\'s, once', () => {
  assert.equal(actionTitle('Continue: she opens the door'), 'Recurrent: continue: she opens the door');
  assert.equal(actionTitle('Recurrent: suggest plans'), 'Recurrent: suggest plans');
});
