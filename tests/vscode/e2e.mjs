// Drives the Recurrent extension inside code-server with Playwright over Debian's Chromium, as a writer would:
// open a manuscript, adopt it, run "Recurrent: Continue" from the command palette, choose and edit a plan,
// accept ghost text, edit the short-term memory, look at the last prompt, set an API key, start a new story,
// make a folder of chapters a book, keep a story bible, fix a continuity warning.
// Each step saves a screenshot. Keyboard only: overlays intercept clicks on VS Code's widgets.
//
// Usage: node e2e.mjs URL WORKSPACE OUT_DIR MODEL_URL   (prints one line per check, then "N passed, N failed")
// E2E_ONLY=REGEX runs only the checks whose names match (while working on one; most need the Adopt check).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, workspace, outDir, modelUrl] = process.argv.slice(2);
const kMarker = 'from the test model';
const results = [];
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : undefined;
mkdirSync(outDir, { recursive: true });

const browser = await chromium.launchPersistentContext(join(outDir, 'chromium-profile'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 720 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = browser.pages()[0] ?? (await browser.newPage());
page.setDefaultTimeout(30_000);

async function shot(name) {
  await page.screenshot({ path: join(outDir, name) });
}

async function check(name, fn) {
  if (only && !only.test(name)) return;
  const started = Date.now();
  try {
    // Each check starts without the previous one's error notifications, so a repeated error is seen again.
    if ((await errorToasts().catch(() => [])).length > 0) await runCommand('Notifications: Clear All Notifications');
    await fn();
    results.push(true);
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name}: ${String(e?.message ?? e).split('\n')[0]}`);
    await shot(`failed-${results.length}.png`).catch(() => undefined);
    // Close whatever the failure left open (a quick pick, a dialog) so the next check starts clean.
    await page.keyboard.press('Escape').catch(() => undefined);
    await page.keyboard.press('Escape').catch(() => undefined);
  }
}

/** The active editor's visible text, with the non-breaking spaces Monaco renders turned back into spaces. */
async function editorText() {
  const text = await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

function count(text, needle) {
  return text.split(needle).length - 1;
}

/** The texts of the error notifications on screen (e.g. the server refused a command). */
async function errorToasts() {
  const toasts = page.locator('.notification-toast .notification-list-item').filter({ has: page.locator('.codicon-error') });
  return (await toasts.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Polls predicate until true; fails at once when a new error notification appears meanwhile. */
async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  const known = new Set(await errorToasts().catch(() => []));
  let last;
  while (Date.now() < deadline) {
    last = await predicate().catch((e) => e);
    if (last === true) return;
    const fresh = (await errorToasts().catch(() => [])).find((t) => !known.has(t));
    if (fresh) throw new Error(`while waiting for ${what}, VS Code showed: ${fresh}`);
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (${last.message})` : ''}`);
}

/** F1, type the command's title, wait until the palette lists it first, Enter. */
async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page
    .locator('.quick-input-widget .monaco-list-row.focused')
    .filter({ hasText: title })
    .first()
    .waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** Ctrl+P, the file's name, Enter on the file's own row; waits until `expected` is in the editor. */
async function openFile(name, expected) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  // The file itself, not a recently opened view named after it ("chapter-one.md — short-term memory").
  const exact = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  const row = (sel) => page.locator(`.quick-input-widget .monaco-list-row${sel}`).filter({ has: page.locator('.label-name', { hasText: exact }) });
  await row('').first().waitFor();
  // Enter on the focused row (a click could land on another one while the list still settles). Once the list
  // has a focused row, ArrowDown walks it, and wraps from its end.
  await page.locator('.quick-input-widget .monaco-list-row.focused').first().waitFor({ timeout: 5_000 }).catch(() => undefined);
  for (let i = 0; i < 40 && (await row('.focused').count()) === 0; i++) await page.keyboard.press('ArrowDown');
  await row('.focused').waitFor({ timeout: 5_000 });
  await page.keyboard.press('Enter');
  await waitFor(async () => (await editorText()).includes(expected), 30_000, `${name} in the editor`);
}

async function paragraphsWritten() {
  return count(await editorText(), kMarker);
}

await check('code-server shows the workbench', async () => {
  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ state: 'visible', timeout: 60_000 });
});

await check('the manuscript opens and the extension starts', async () => {
  await openFile('chapter-one.md', 'The lighthouse');
  // The status bar item appears once the extension has activated.
  await page.locator('.statusbar-item').filter({ hasText: /Recurrent|offline|openai|test-model/ }).first().waitFor({ timeout: 30_000 });
  await shot('01-manuscript.png');
});

await check('a manuscript opened for the first time offers to adopt it', async () => {
  const offer = page.locator('.notification-toast').filter({ hasText: 'make chapter-one.md a story?' });
  await waitFor(async () => (await offer.count()) === 1, 30_000, 'the "make chapter-one.md a story?" notification');
  if ((await offer.locator('.monaco-button').filter({ hasText: 'Adopt' }).count()) === 0) throw new Error('no Adopt button on the offer');
  await shot('01b-first-step.png');
});

await check('the status bar shows the provider and model from the server', async () => {
  await page.locator('.statusbar-item').filter({ hasText: 'test-model' }).first().waitFor({ timeout: 30_000 });
});

await check('Recurrent: Adopt This Manuscript builds the memory and offers the plans', async () => {
  await runCommand('Recurrent: Adopt This Manuscript');
  const toast = page.locator('.notification-toast').filter({ hasText: /Recurrent: adopted \d+ paragraphs/ });
  await waitFor(async () => (await toast.count()) > 0, 90_000, 'the "adopted" notification');
  await shot('02-adopted.png');
  await page.keyboard.press('Escape');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
});

await check('code lenses show the plans where the next paragraph goes', async () => {
  const lens = page.locator('.editor-group-container.active .codelens-decoration').filter({ hasText: /\S/ });
  await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
});

await check('Ctrl+. at the end lists the plans as Recurrent actions, not under Rewrite', async () => {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  const menu = page.locator('.action-widget');
  // FIXME: right after Adopt, Ctrl+. once said "No code actions available" (1 run of 4); asked again it lists them.
  for (let attempt = 0; attempt < 3 && (await menu.filter({ hasText: 'Recurrent: continue' }).count()) === 0; attempt++) {
    if (attempt > 0) await page.keyboard.press('Escape');
    await page.keyboard.press('Control+.');
    await page.waitForTimeout(1500);
  }
  await waitFor(async () => (await menu.filter({ hasText: 'Recurrent: continue' }).count()) > 0, 15_000, 'Recurrent actions in the menu');
  const text = (await menu.first().innerText()).replace(/\s+/g, ' ');
  if (/Rewrite/.test(text)) throw new Error(`the actions sit under "Rewrite": ${text}`);
  await shot('02b-code-actions.png');
  await page.keyboard.press('Escape');
});

await check('Recurrent: Continue writes a new paragraph into the editor', async () => {
  const before = await paragraphsWritten();
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await runCommand('Recurrent: Continue');
  await waitFor(async () => (await paragraphsWritten()) > before, 90_000, `a paragraph containing "${kMarker}"`);
  await page.waitForTimeout(500);
  await shot('03-continue.png');
});

/** The story's step count as saved beside the manuscript. */
function savedStep(name) {
  const story = join(workspace, '.recurrent', name, 'story.json');
  return existsSync(story) ? JSON.parse(readFileSync(story, 'utf8')).step ?? 0 : 0;
}

await check('one Ctrl+Z removes the whole streamed paragraph, and the server offers to undo the step', async () => {
  const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  await editor.click();
  await page.keyboard.press('Control+End');
  const before = await editorText();
  const count = await paragraphsWritten();
  const step = savedStep('chapter-one.md');
  await runCommand('Recurrent: Continue');
  await waitFor(async () => (await paragraphsWritten()) > count, 90_000, 'the next paragraph');
  await waitFor(async () => savedStep('chapter-one.md') > step, 30_000, 'the step committed');
  await editor.click();
  await page.keyboard.press('Control+Z');
  await waitFor(async () => (await editorText()) === before, 5_000, 'the text before the paragraph after one Ctrl+Z');
  const offer = page.locator('.notification-toast').filter({ hasText: 'no longer in the manuscript' });
  await waitFor(async () => (await offer.count()) === 1, 10_000, 'one "Undo step" offer');
  await shot('03b-undo-offer.png');
  await page.keyboard.press('Control+Y'); // the paragraph back, for the checks below
  await waitFor(async () => (await paragraphsWritten()) > count, 5_000, 'the paragraph back after redo');
  await runCommand('Notifications: Clear All Notifications');
});

await check('Recurrent: Choose Plan lists the plans, lets the writer edit one, and writes it', async () => {
  const before = await paragraphsWritten();
  await page.keyboard.press('Control+End');
  await runCommand('Recurrent: Choose Plan');
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  await rows.filter({ hasText: 'plan 1' }).first().waitFor({ timeout: 30_000 });
  await shot('04-plans.png');
  const firstPlan = (await rows.first().innerText()).replace(/\u00a0/g, ' ');
  await page.keyboard.press('Enter');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await waitFor(async () => (await input.inputValue()).length > 0, 10_000, 'the plan prefilled in the input box');
  const prefilled = await input.inputValue();
  if (!firstPlan.includes(prefilled.slice(0, 20))) throw new Error(`input box holds "${prefilled}", not the chosen plan "${firstPlan}"`);
  await page.keyboard.press('End');
  await page.keyboard.type(' She takes the lantern.');
  await shot('05-edit-plan.png');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await paragraphsWritten()) > before, 90_000, 'the paragraph for the chosen plan');
  await page.waitForTimeout(500);
  await shot('06-after-plan.png');
});

/** Opens the Explorer's Story view (expanded) and returns its pane. */
async function focusStoryView() {
  // Not runCommand: the palette may put "Focus on Story Bible View" first.
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget .quick-input-box input').fill('>Explorer: Focus on Story View');
  await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'Focus on Story View' }).first().click();
  return page.locator('.pane').filter({ has: page.locator('.pane-header h3.title', { hasText: /^\s*Story\s*$/ }) });
}

await check('the Story view lists the plans and both memories; a click on a plan writes the next paragraph with it', async () => {
  const before = await paragraphsWritten();
  const step = savedStep('chapter-one.md');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  const pane = await focusStoryView();
  const rows = pane.locator('.monaco-list-row');
  await waitFor(async () => /plan 1/.test((await rows.allInnerTexts()).join('|')), 30_000, 'the plans in the Story view');
  const texts = (await rows.allInnerTexts()).join(' | ');
  for (const want of ['Plans for the next paragraph', 'plan 3', 'Suggest new plans'])
    if (!texts.includes(want)) throw new Error(`the Story view lacks "${want}": ${texts}`);
  await shot('06b-story-view.png');
  await rows.filter({ hasText: 'plan 2' }).first().click();
  await waitFor(async () => (await paragraphsWritten()) > before, 90_000, 'the paragraph for plan 2');
  await waitFor(async () => savedStep('chapter-one.md') > step, 30_000, 'the step committed');
  // The pane is short beside the others: fold the plans to see the memories below them.
  await rows.filter({ hasText: 'Plans for the next paragraph' }).first().click();
  await waitFor(async () => (await rows.allInnerTexts()).join('|').includes(`step ${step + 1}`), 15_000, 'the long-term memory at the new step');
  const memories = (await rows.allInnerTexts()).join(' | ');
  for (const want of ['Short-term memory', 'Long-term memory', 'entries', 'Search memory'])
    if (!memories.includes(want)) throw new Error(`the Story view lacks "${want}": ${memories}`);
  await shot('06c-story-view-memory.png');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
});

await check('ghost text from the server\'s inline completion, accepted with Tab', async () => {
  const before = await paragraphsWritten();
  await page.keyboard.press('Control+End');
  await runCommand('Recurrent: Show Continuation as Ghost Text');
  const ghost = page.locator('.editor-group-container.active .ghost-text-decoration, .editor-group-container.active .ghost-text');
  await ghost.filter({ hasText: /\S/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
  await shot('07-ghost-text.png');
  await page.keyboard.press('Tab');
  await waitFor(async () => (await paragraphsWritten()) > before, 10_000, 'the accepted ghost text in the editor');
});

await check('Recurrent: Show Memory opens the short-term memory; an edit saved with Ctrl+S reaches the next prompt', async () => {
  const edited = 'Edited by the writer: Mara no longer trusts the voice on the radio.';
  await runCommand('Recurrent: Show Memory');
  await page.locator('.tab').filter({ hasText: 'short-term memory' }).first().waitFor({ timeout: 20_000 });
  await page.locator('.tab').filter({ hasText: 'long-term memory' }).first().waitFor({ timeout: 20_000 });
  await page.locator('.tab.active').filter({ hasText: 'short-term memory' }).first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(edited);
  await page.keyboard.press('Control+S');
  await waitFor(
    async () => (await page.locator('.tab.dirty').filter({ hasText: 'short-term memory' }).count()) === 0,
    15_000,
    'the memory saved (tab no longer dirty)',
  );
  await shot('08-memory.png');
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+End');
  const before = await paragraphsWritten();
  const chatsBefore = (await (await fetch(`${modelUrl}/__chats`)).json()).length;
  await runCommand('Recurrent: Continue');
  await waitFor(async () => (await paragraphsWritten()) > before, 90_000, 'the next paragraph');
  const chats = (await (await fetch(`${modelUrl}/__chats`)).json()).slice(chatsBefore);
  if (!chats.some((messages) => JSON.stringify(messages).includes(edited)))
    throw new Error('the edited short-term memory is not in any prompt of the next step');
});

await check('Recurrent: Search Memory finds paragraphs by meaning (a question, not their words) and opens one', async () => {
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Control+S'); // the file on disk is what the check below reads
  await runCommand('Recurrent: Search Memory');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  // VS Code's own workspace-symbol picker filters by these literal words and would show nothing.
  await input.fill('who looks after the tower on her own while the weather closes the island?');
  const rows = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'chapter-one.md' });
  await waitFor(async () => (await rows.count()) > 0, 30_000, 'memory hits in the quick pick');
  await shot('08b-search-memory.png');
  await page.keyboard.press('Enter');
  const cursor = page.locator('.statusbar-item').filter({ hasText: /Ln \d+, Col \d+/ }).first();
  const lines = readFileSync(join(workspace, 'chapter-one.md'), 'utf8').split('\n');
  const lastLine = lines.length;
  let at = 0;
  await waitFor(async () => {
    at = Number(/Ln (\d+)/.exec(await cursor.innerText())?.[1] ?? 0);
    return at > 0 && at < lastLine;
  }, 10_000, 'the cursor moved from the end to a paragraph');
  if (!lines[at - 1]?.trim() || (at > 1 && lines[at - 2]?.trim()))
    throw new Error(`line ${at} is not the start of a paragraph: ${JSON.stringify(lines.slice(Math.max(0, at - 2), at))}`);
});

await check('Recurrent: Show Last Prompt opens the prompt and the answer', async () => {
  await runCommand('Recurrent: Show Last Prompt');
  await page.locator('.tab').filter({ hasText: 'last prompt' }).first().waitFor({ timeout: 20_000 });
  await waitFor(async () => (await editorText()).includes('# Last prompt'), 20_000, 'the last prompt view');
  // Any source with its tokens: which ones the last call had depends on the checks before this one.
  await waitFor(async () => /## Sources\s+- [\s\S]*?\(\d+ tokens/.test(await editorText()), 20_000, "the prompt's sources with their tokens");
  await shot('09-last-prompt.png');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  // A long answer scrolls its heading into the sticky scroll above the lines.
  const wholeEditor = page.locator('.editor-group-container.active .monaco-editor').first();
  await waitFor(async () => (await wholeEditor.innerText()).replace(/\u00a0/g, ' ').includes('## answer'), 20_000, 'the answer at the end of the prompt view');
});

/** The long-term memory's lines as saved beside the manuscript. */
function savedMemory(name) {
  const memory = join(workspace, '.recurrent', name, 'memory.jsonl');
  return existsSync(memory) ? readFileSync(memory, 'utf8') : '';
}

await check('closing the tab while a paragraph streams leaves the file as it was (auto save had written half the paragraph), the memory and the step unchanged', async () => {
  await page.keyboard.press('Control+1');
  await openFile('chapter-one.md', 'The lighthouse had been dark');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Control+S');
  const file = join(workspace, 'chapter-one.md');
  await page.waitForTimeout(1500); // VS Code for the Web saves 1 s after a change (files.autoSave's default there)
  const onDisk = readFileSync(file, 'utf8');
  const step = savedStep('chapter-one.md');
  const memory = savedMemory('chapter-one.md');
  const tab = page.locator('.tab').filter({ hasText: /^\s*chapter-one\.md\s*$/ }); // not "chapter-one.md — last prompt"
  const setDelay = (ms) => fetch(`${modelUrl}/__chunk-delay`, { method: 'POST', body: JSON.stringify({ ms }) });
  // Auto save waits for a second without changes: pieces 1.2 s apart let it save half a paragraph.
  await setDelay(1200);
  try {
    await runCommand('Recurrent: Continue');
    await waitFor(async () => readFileSync(file, 'utf8') !== onDisk, 60_000, 'part of the paragraph saved by auto save');
    const ending = 'th time).'; // how every paragraph of the test model ends
    if (count(readFileSync(file, 'utf8'), ending) !== count(onDisk, ending)) throw new Error('auto save wrote a whole paragraph, not part of one');
    await shot('09b-streaming.png');
    await page.keyboard.press('Control+W');
    // With auto save off VS Code asks; saving the fragment is the case to recover from.
    const save = page.locator('.monaco-dialog-box button').filter({ hasText: /^Save$/ });
    await save.click({ timeout: 2_000 }).catch(() => undefined);
    await waitFor(async () => (await tab.count()) === 0, 10_000, 'the tab closed');
  } finally {
    await setDelay(2);
  }
  await waitFor(async () => readFileSync(file, 'utf8') === onDisk, 15_000, 'chapter-one.md back as it was before the stream');
  await page.waitForTimeout(3000); // had the server not cancelled, the rest of the answer would be in by now
  if (readFileSync(file, 'utf8') !== onDisk) throw new Error('chapter-one.md changed again after it was restored');
  if (savedStep('chapter-one.md') !== step) throw new Error(`the step moved from ${step} to ${savedStep('chapter-one.md')}`);
  if (savedMemory('chapter-one.md') !== memory) throw new Error('the long-term memory changed after the tab closed');
  await openFile('chapter-one.md', 'The lighthouse had been dark');
});

await check('Recurrent: Set API Key restarts the server with the key, which reaches the model as a bearer token', async () => {
  const key = 'sk-e2e-test-key-7319';
  await runCommand('Recurrent: Set API Key');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  if ((await input.getAttribute('type')) !== 'password') throw new Error('the key input box does not hide the key');
  await input.fill(key);
  await page.keyboard.press('Enter');
  const saved = page.locator('.notification-toast').filter({ hasText: 'API key saved' });
  await waitFor(async () => (await saved.count()) > 0, 30_000, 'the server restarted with the key');
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+End');
  const before = await paragraphsWritten();
  await runCommand('Recurrent: Continue');
  await waitFor(async () => (await paragraphsWritten()) > before, 90_000, 'a paragraph written with the key');
  const auths = await (await fetch(`${modelUrl}/__auth`)).json();
  if (!auths.includes(`Bearer ${key}`)) throw new Error(`the model server saw ${JSON.stringify(auths)}, not the key`);
});

/** How many times the extension started the server (its output channel's log). */
function serverStarts() {
  const logs = join(outDir, 'user-data', 'logs');
  const log = readdirSync(logs, { recursive: true }).find((f) => String(f).endsWith('Recurrent.log'));
  if (!log) return 0;
  return readFileSync(join(logs, String(log)), 'utf8').split('\n').filter((l) => /\] starting .* lsp --stdio/.test(l)).length;
}

/** Replaces `from` by `to` in the user settings (JSON) with the editor's Replace, then saves, as a writer would. */
async function replaceInSettings(from, to) {
  // Ctrl+H in a manuscript that is still in front would look for the setting there and change nothing.
  await page.locator('.tab.active').filter({ hasText: 'settings.json' }).waitFor({ timeout: 20_000 });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click(); // the keys go to it
  await page.keyboard.press('Control+H');
  const find = page.locator('.editor-group-container.active .find-widget .find-part textarea');
  const replace = page.locator('.editor-group-container.active .find-widget .replace-part textarea');
  await find.waitFor({ state: 'visible' });
  await find.fill(from);
  await replace.fill(to);
  await page.keyboard.press('Control+Alt+Enter'); // replace all
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+S');
}

await check('a model changed in settings.json restarts the server (not for topK), with no error toast and no "stopped" left', async () => {
  await runCommand('Preferences: Open User Settings (JSON)');
  const toasts = page.locator('.notification-toast');
  const before = (await toasts.allInnerTexts()).length;
  const startsBefore = serverStarts();
  let model = 'test-model';
  for (const next of ['test-model-', 'test-model-2']) {
    await replaceInSettings(`"recurrent.model": "${model}"`, `"recurrent.model": "${next}"`);
    model = next;
    await page.waitForTimeout(150);
  }
  // Taken by the running server, no restart.
  await replaceInSettings('"recurrent.embedModel": "test-embed",', '"recurrent.embedModel": "test-embed", "recurrent.topK": 4,');
  await openFile('chapter-one.md', kMarker); // the status bar shows the active manuscript's server
  const status = page.locator('.statusbar-item').filter({ hasText: 'test-model-2' }).first();
  await waitFor(async () => (await status.count()) > 0, 30_000, 'the status bar with the new model');
  await page.waitForTimeout(1500);
  const texts = (await toasts.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  const bad = texts.find((t) => /failed|Error|stopped/i.test(t));
  if (bad) throw new Error(`a toast after the settings change: ${bad}`);
  if (texts.length > before) throw new Error(`new notifications: ${texts.slice(before).join(' | ')}`);
  if ((await page.locator('.statusbar-item').filter({ hasText: 'stopped' }).count()) > 0) throw new Error('the status bar says stopped');
  const starts = serverStarts();
  await shot('09b-settings-applied.png');
  await runCommand('Preferences: Open User Settings (JSON)');
  await replaceInSettings('"recurrent.model": "test-model-2"', '"recurrent.model": "test-model"');
  await replaceInSettings(' "recurrent.topK": 4,', '');
  await openFile('chapter-one.md', kMarker);
  await waitFor(
    async () => (await page.locator('.statusbar-item').filter({ hasText: /test-model(?!-2)/ }).count()) > 0,
    30_000,
    'the status bar back on test-model',
  );
  // One restart per saved model change at most (the Settings UI's key strokes come closer together than the
  // restart delay; these saves do not), and none for topK.
  if (starts < startsBefore + 1 || starts > startsBefore + 2) throw new Error(`the server started ${starts - startsBefore} times for two saved model changes`);
});

await check('Recurrent: New Story asks genre, topic, premise and language and writes an opening', async () => {
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill('new-story.md');
  await page.locator('.quick-input-widget .monaco-list-row.focused').filter({ hasText: 'new-story.md' }).waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active').filter({ hasText: 'new-story.md' }).waitFor();
  await runCommand('Recurrent: New Story');
  for (const answer of ['science fiction', 'a lighthouse keeper hears her own voice on the radio', '', 'English']) {
    await input.waitFor({ state: 'visible' });
    await input.fill(answer);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
  }
  await waitFor(async () => (await editorText()).trim().length > 40, 90_000, 'an opening in new-story.md');
  await page.waitForTimeout(500);
  await shot('10-new-story.png');
});

await check('Recurrent: Make This Folder a Book joins the chapters; the Book view lists them and opens one', async () => {
  await page.keyboard.press('Control+1');
  await openFile('02-letter.md', 'broke the green wax');
  await runCommand('Recurrent: Make This Folder a Book');
  const toast = page.locator('.notification-toast').filter({ hasText: /this folder is a book now: 3 paragraphs/ });
  await waitFor(async () => (await toast.count()) > 0, 90_000, 'the "book" notification');
  await runCommand('Explorer: Focus on Book View');
  const rows = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Book' }) }).locator('.monaco-list-row');
  await waitFor(async () => (await rows.allInnerTexts()).join('|').includes('1. Arrival'), 30_000, 'the chapters in the Book view');
  const texts = await rows.allInnerTexts();
  if (texts.length !== 2 || !texts[1].includes('2. The Letter')) throw new Error(`the Book view shows: ${texts.join(' | ')}`);
  await shot('11-book-view.png');
  await rows.first().click();
  await page.locator('.tab.active').filter({ hasText: '01-arrival.md' }).waitFor({ timeout: 15_000 });
});

await check('Recurrent: Add Bible Entry creates the entry (the Story view and the status bar say what it is); the Story Bible view lists it with its mentions and jumps to the first; its code lens peeks the references', async () => {
  await openFile('01-arrival.md', 'Mara kept the lighthouse');
  await runCommand('Recurrent: Add Bible Entry');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (const answer of ['Mara', 'character']) {
    await input.waitFor({ state: 'visible' });
    await input.fill(answer);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
  }
  await page.locator('.tab.active').filter({ hasText: 'mara.md' }).waitFor({ timeout: 15_000 });
  await waitFor(async () => (await editorText()).includes('# Mara'), 15_000, 'the new entry file');
  await runCommand('Explorer: Focus on Story Bible View');
  const rows = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Story Bible' }) }).locator('.monaco-list-row');
  await waitFor(async () => /Mara\s*2 mentions/.test((await rows.allInnerTexts()).join('|')), 30_000, 'Mara in the Story Bible view');
  const texts = await rows.allInnerTexts();
  if (!/Characters/.test(texts[0] ?? '')) throw new Error(`the Story Bible view shows: ${texts.join(' | ')}`);
  const offer = page.locator('.notification-toast').filter({ hasText: 'make mara.md a story' });
  if ((await offer.count()) > 0) throw new Error('the entry file was offered for adoption as a manuscript');
  const storyPane = await focusStoryView();
  await waitFor(async () => /entry of the story bible/.test(await storyPane.innerText()), 15_000, "the Story view's words for a bible entry");
  if (/Adopt/.test(await storyPane.innerText())) throw new Error('the Story view offers to adopt the bible entry');
  const entryStatus = page.locator('.statusbar-item').filter({ hasText: 'bible entry' });
  await waitFor(async () => (await entryStatus.count()) > 0, 15_000, 'the status bar saying a bible entry is in front');
  await runCommand('Explorer: Focus on Story Bible View');
  await shot('12-story-bible.png');
  const mara = rows.filter({ hasText: /Mara\s*2 mentions/ }).first();
  await mara.locator('.monaco-tl-twistie').click();
  const first = rows.filter({ hasText: 'first: 01-arrival.md:3' });
  await waitFor(async () => (await first.count()) > 0, 15_000, 'the first appearance under Mara');
  await first.first().click();
  await page.locator('.tab.active').filter({ hasText: '01-arrival.md' }).waitFor({ timeout: 15_000 });
  await mara.click();
  await page.locator('.tab.active').filter({ hasText: 'mara.md' }).waitFor({ timeout: 15_000 });
  // The entry's code lens runs the client command recurrent.bibleReferences: the references peek.
  const lens = page.locator('.codelens-decoration a').filter({ hasText: /2 mentions/ });
  await lens.first().waitFor({ timeout: 15_000 });
  await lens.first().click();
  const peek = page.locator('.peekview-widget');
  await waitFor(async () => /01-arrival\.md[\s\S]*02-letter\.md|02-letter\.md[\s\S]*01-arrival\.md/.test(await peek.innerText().catch(() => '')), 15_000, 'the references peek with both chapters');
  await shot('13-bible-references.png');
  await page.keyboard.press('Escape');
});

await check('a misspelt bible name is a warning in the Problems view, and its quick fix "Use ‘Mara’" spells it right', async () => {
  await page.keyboard.press('Control+1');
  await openFile('01-arrival.md', 'Mara kept the lighthouse');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n\nThat night Marra heard oars in the fog.');
  const squiggle = page.locator('.editor-group-container.active .squiggly-warning');
  await waitFor(async () => (await squiggle.count()) > 0, 20_000, 'a warning squiggle under the misspelt name');
  await runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const problems = page.locator('.markers-panel .monaco-list-row');
  await waitFor(async () => /Marra.*misspelling of.*Mara/.test((await problems.allInnerTexts()).join('|')), 15_000, 'the finding in the Problems view');
  await shot('15-continuity-problem.png');
  const onMarra = async () => {
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'That night M'.length; i++) await page.keyboard.press('ArrowRight');
  };
  // The finding's quick fixes include the passage it points at: its bible entry, opened by the server's
  // window/showDocument.
  await onMarra();
  await page.keyboard.press('Control+.');
  const show = page.locator('.action-widget .monaco-list-row.focused').filter({ hasText: /show the other passage \(mara\.md:\d+\)/ });
  await waitFor(async () => /show the other passage/.test(await page.locator('.action-widget').innerText().catch(() => '')), 15_000, 'Show the other passage in the menu');
  for (let i = 0; i < 10 && (await show.count()) === 0; i++) await page.keyboard.press('ArrowDown');
  await show.first().waitFor({ timeout: 5_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active').filter({ hasText: 'mara.md' }).waitFor({ timeout: 15_000 });
  await openFile('01-arrival.md', 'That night Marra heard oars'); // back to the chapter, its edit kept
  await onMarra();
  await page.keyboard.press('Control+.');
  // The first action, focused: Enter (a click would hit the overlay VS Code lays over its widgets).
  const fix = page.locator('.action-widget .monaco-list-row.focused').filter({ hasText: /use ‘Mara’/ });
  await fix.first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await waitFor(async () => (await editorText()).includes('That night Mara heard oars'), 10_000, 'the name spelt right');
  await waitFor(async () => (await squiggle.count()) === 0, 20_000, 'the warning gone');
  await page.keyboard.press('Control+S');
});

await check('Ctrl+. on a name the bible lacks offers "Add ‘Quorran’ to the bible", which creates its entry file', async () => {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n\nAt dawn the ferryman Quorran waved from the quay.');
  await page.keyboard.press('Control+S');
  for (let i = 0; i < ' waved from the quay.'.length; i++) await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Control+.');
  const menu = page.locator('.action-widget');
  await waitFor(async () => /add ‘Quorran’ to the bible/.test(await menu.innerText().catch(() => '')), 15_000, 'the Add action in the menu');
  const add = page.locator('.action-widget .monaco-list-row.focused').filter({ hasText: /add ‘Quorran’ to the bible/ });
  for (let i = 0; i < 10 && (await add.count()) === 0; i++) await page.keyboard.press('ArrowDown');
  await add.first().waitFor({ timeout: 5_000 });
  await page.keyboard.press('Enter');
  const entry = join(workspace, 'novel', 'bible', 'quorran.md');
  await waitFor(async () => (await page.locator('.tab').filter({ hasText: 'quorran.md' }).count()) > 0 || existsSync(entry), 15_000, 'the new entry quorran.md');
  await runCommand('File: Save All Files');
  await waitFor(async () => existsSync(entry) && readFileSync(entry, 'utf8').includes('# Quorran'), 15_000, 'quorran.md on disk with its heading');
  await runCommand('Explorer: Focus on Story Bible View');
  const rows = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Story Bible' }) }).locator('.monaco-list-row');
  await waitFor(async () => /Quorran/.test((await rows.allInnerTexts()).join('|')), 30_000, 'Quorran in the Story Bible view');
  await shot('16-bible-add.png');
});

await check('a Continue in chapter 2 of the book writes there, with the end of chapter 1 in its prompt', async () => {
  await page.keyboard.press('Control+1');
  await openFile('02-letter.md', 'broke the green wax');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  const before = await paragraphsWritten();
  const chatsBefore = (await (await fetch(`${modelUrl}/__chats`)).json()).length;
  await runCommand('Recurrent: Continue');
  await waitFor(async () => (await paragraphsWritten()) > before, 90_000, 'the paragraph in chapter 2');
  const chats = (await (await fetch(`${modelUrl}/__chats`)).json()).slice(chatsBefore);
  const lastOfChapter1 = readFileSync(join(workspace, 'novel', '01-arrival.md'), 'utf8').trim().split(/\n\s*\n/).pop().trim();
  if (!chats.some((messages) => messages.some((m) => String(m.content).includes(lastOfChapter1))))
    throw new Error(`chapter 1's last paragraph ("${lastOfChapter1}") is not in the prompt of chapter 2's step`);
  await shot('14-book-continue.png');
});

await check('a bible name hovers with its entry, F12 opens the entry, and F2 renames it in every chapter, the entry and the story\'s memory', async () => {
  await page.keyboard.press('Control+1');
  await openFile('02-letter.md', 'broke the green wax');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown'); // line 3: "Mara broke the green wax…"
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I'); // Show Hover
  const hover = page.locator('.monaco-hover').filter({ hasText: /Mara · character[\s\S]*\d+ mentions · first in 01-arrival\.md/ });
  await waitFor(async () => (await hover.count()) > 0, 15_000, 'the hover with the entry and its mentions');
  await shot('17-bible-hover.png');
  await page.keyboard.press('Escape');
  await page.keyboard.press('F12');
  await page.locator('.tab.active').filter({ hasText: 'mara.md' }).waitFor({ timeout: 15_000 });
  await openFile('02-letter.md', 'broke the green wax');
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('F2');
  const input = page.locator('.rename-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('Marah');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await editorText()).includes('Marah broke the green wax'), 15_000, 'the rename in chapter 2');
  await runCommand('File: Save All Files');
  const novel = join(workspace, 'novel');
  const oldName = /\bMara\b/;
  const files = ['01-arrival.md', '02-letter.md', join('bible', 'mara.md')];
  await waitFor(async () => files.every((f) => !oldName.test(readFileSync(join(novel, f), 'utf8'))), 15_000, 'no "Mara" left in the chapters and the entry');
  const state = ['memory.jsonl', 'story.json', 'short-term-memory.md', 'plans.md'].map((f) => join(novel, '.recurrent', 'book', f));
  await waitFor(async () => state.every((f) => !existsSync(f) || !oldName.test(readFileSync(f, 'utf8'))), 20_000, 'no "Mara" left in the story\'s memory, short-term memory and plans');
  if (!/\bMarah\b/.test(readFileSync(state[0], 'utf8'))) throw new Error('the memory does not hold the new name');
  await shot('18-bible-renamed.png');
});

await browser.close();
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
