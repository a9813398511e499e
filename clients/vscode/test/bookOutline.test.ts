// The Book view: the chapters of the active manuscript's book, as recurrent/bookOutline gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chapterRows } from '../src/bookOutline';

test('the Book view lists chapters in order, with their size and summary', () => {
  const rows = chapterRows({
    root: '/novel',
    folder: true,
    chapters: [
      { uri: 'file:///novel/01-arrival.md', file: '01-arrival.md', title: 'Arrival', paragraphs: 3, words: 1200, summary: 'Mara keeps the light.' },
      { uri: 'file:///novel/02.md', file: '02.md', title: '', paragraphs: 1, words: 1 },
    ],
  });
  assert.deepEqual(rows[0], {
    label: '1. Arrival',
    description: '3 paragraphs · 1,200 words',
    tooltip: '01-arrival.md\n\nMara keeps the light.',
    uri: 'file:///novel/01-arrival.md',
  });
  assert.equal(rows[1].label, '2. 02.md');
  assert.equal(rows[1].description, '1 paragraph · 1 word');
  assert.deepEqual(chapterRows(undefined), []);
});
