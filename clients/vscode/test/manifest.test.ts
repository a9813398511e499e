// The package manifest: every command the walkthrough links to is contributed, its pages are in the package, and
// the package has what a marketplace listing needs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

test('the walkthrough links only to contributed commands and ships its pages', () => {
  const contributed = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));
  const walkthroughs = manifest.contributes.walkthroughs as { steps: { description: string; media: { markdown?: string } }[] }[];
  assert.equal(walkthroughs.length, 1);
  const steps = walkthroughs[0]!.steps;
  assert.ok(steps.length >= 3);
  for (const step of steps) {
    for (const m of step.description.matchAll(/\(command:(recurrent\.[\w.]+)/g)) assert.ok(contributed.has(m[1]!), `${m[1]} is contributed`);
    assert.ok(step.media.markdown && existsSync(join(root, step.media.markdown)), `${step.media.markdown} exists`);
  }
  const ignored = readFileSync(join(root, '.vscodeignore'), 'utf8');
  assert.doesNotMatch(ignored, /^walkthrough/m, 'the pages are packaged');
});

test('Search Memory is a palette command', () => {
  assert.ok(manifest.contributes.commands.some((c: { command: string }) => c.command === 'recurrent.ui.searchMemory'));
});

test('the Story view is in the Explorer, its welcome offers Adopt but not on a bible entry, and its plan command stays out of the palette', () => {
  assert.ok(manifest.contributes.views.explorer.some((v: { id: string }) => v.id === 'recurrent.story'));
  const welcomes = manifest.contributes.viewsWelcome.filter((w: { view: string }) => w.view === 'recurrent.story');
  const offer = welcomes.find((w: { when: string }) => w.when === '!recurrent.bibleEntryInFront');
  assert.match(offer.contents, /command:recurrent\.ui\.adopt/);
  const entry = welcomes.find((w: { when: string }) => w.when === 'recurrent.bibleEntryInFront');
  assert.doesNotMatch(entry.contents, /command:/);
  const hidden = manifest.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'recurrent.ui.continueWithPlan');
  assert.equal(hidden.when, 'false');
});

test('the package has an icon of 128x128 pixels, a licence, a changelog, real categories and a README for writers', () => {
  const icon = readFileSync(join(root, manifest.icon));
  assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
  assert.equal(manifest.license, 'MIT');
  assert.ok(existsSync(join(root, 'LICENSE')) && existsSync(join(root, 'CHANGELOG.md')));
  assert.ok(manifest.categories.some((c: string) => c !== 'Other'));
  assert.match(manifest.engines.vscode, /^\^1\.\d+\.\d+$/);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const section of ['## Install', '## Your first story', '## Settings', '## Privacy: what is sent to the model, and when'])
    assert.ok(readme.includes(section), `README has "${section}"`);
  assert.match(readme, /!\[[^\]]+\]\([^)]+\.png\)/, 'README shows a picture');
});
