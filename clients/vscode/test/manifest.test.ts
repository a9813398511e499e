// The package manifest: every command the walkthrough links to is contributed, and its pages are in the package.
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

test('the Story view is in the Explorer, its welcome offers Adopt, and its plan command stays out of the palette', () => {
  assert.ok(manifest.contributes.views.explorer.some((v: { id: string }) => v.id === 'recurrent.story'));
  const welcome = manifest.contributes.viewsWelcome.find((w: { view: string }) => w.view === 'recurrent.story');
  assert.match(welcome.contents, /command:recurrent\.ui\.adopt/);
  const hidden = manifest.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'recurrent.ui.continueWithPlan');
  assert.equal(hidden.when, 'false');
});
