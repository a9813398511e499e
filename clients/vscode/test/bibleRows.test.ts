// The Story Bible view: recurrent/bibleAt's entries grouped by type, and the file Add Bible Entry writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bibleGroups, entryFileText, entrySlug } from '../src/bibleRows';
import type { BibleEntry } from '../src/protocol';

const at = (line: number) => ({ start: { line, character: 2 }, end: { line, character: 6 } });
const entry = (name: string, type: string, mentions: number, more: Partial<BibleEntry> = {}): BibleEntry => ({
  name,
  type,
  aliases: [],
  include: 'mentioned',
  description: '',
  details: [],
  facts: [],
  mentions,
  location: { uri: `file:///novel/bible/${name.toLowerCase()}.md`, range: at(3) },
  ...more,
});

test('the Story Bible groups entries by type in a fixed order, by name within a type', () => {
  const groups = bibleGroups({
    folder: '/novel/bible',
    here: [],
    entries: [
      entry('Harbour', 'place', 2),
      entry('Tomas', 'character', 1),
      entry('Mara', 'character', 14, {
        aliases: ['the keeper'],
        description: 'Keeps the light on the north cape.',
        first: { uri: 'file:///novel/01-arrival.md', range: at(2) },
      }),
      entry('The Tide Song', 'song', 0),
    ],
  });
  assert.deepEqual(groups.map((g) => [g.label, g.description]), [['Characters', '2'], ['Places', '1'], ['Other', '1']]);
  assert.deepEqual(groups[0]!.entries.map((e) => e.label), ['Mara', 'Tomas']);
  const mara = groups[0]!.entries[0]!;
  assert.equal(mara.description, '14 mentions');
  assert.equal(mara.tooltip, 'Mara (the keeper)\n\nKeeps the light on the north cape.');
  assert.equal(mara.uri, 'file:///novel/bible/mara.md');
  assert.deepEqual(mara.range, at(3));
  assert.equal(mara.first?.uri, 'file:///novel/01-arrival.md');
  assert.equal(groups[0]!.entries[1]!.description, '1 mention');
  assert.equal(groups[0]!.entries[1]!.first, undefined);
  assert.equal(groups[2]!.entries[0]!.description, '0 mentions');
  assert.deepEqual(bibleGroups(undefined), []);
});

test('a new entry file is named after the entry and starts with its type and heading', () => {
  assert.equal(entrySlug('Mara Vell'), 'mara-vell');
  assert.equal(entrySlug("  The Keeper's Lamp! "), 'the-keeper-s-lamp');
  assert.equal(entrySlug('Łódź'), 'łódź');
  assert.equal(entrySlug('林黛玉'), '林黛玉');
  assert.equal(entrySlug('?!'), 'entry');
  assert.equal(entryFileText(' Mara Vell ', 'character'), '---\ntype: character\n---\n\n# Mara Vell\n\n');
});

test('the Story Bible view, its actions and its welcome link are contributed', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const commands = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));
  assert.ok(manifest.contributes.views.explorer.some((v: { id: string }) => v.id === 'recurrent.bible'));
  const welcome = manifest.contributes.viewsWelcome.find((w: { view: string }) => w.view === 'recurrent.bible');
  assert.match(welcome.contents, /BOOK\/bible\/.*NAME\.bible\/.*\(command:recurrent\.ui\.addBibleEntry\)/s);
  assert.ok(commands.has('recurrent.ui.addBibleEntry') && commands.has('recurrent.ui.refreshBible'));
  assert.equal(manifest.contributes.configuration.properties['recurrent.bibleShare'].default, 0.25);
});
