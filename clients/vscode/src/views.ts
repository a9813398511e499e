// Read-only Markdown views of the server's state: the last prompt (the context viewer) and the long-term memory.
//
// Pure functions (no `vscode` import) so they run under node:test.
import type { BudgetItem, LastPrompt, StoryState } from './protocol';

/** The last prompt as Markdown: what was sent, what came back, and the token budget. */
export function renderLastPrompt(p: LastPrompt | null): string {
  if (!p) return '# Last prompt\n\nNo model call yet for this manuscript: run Recurrent: Continue first.\n';
  const lines: string[] = ['# Last prompt', ''];
  const facts: string[] = [];
  if (p.task) facts.push(`task: ${p.task}`);
  if (p.model) facts.push(`model: ${p.model}`);
  if (p.promptTokens !== undefined) facts.push(`prompt tokens: ${p.promptTokens}`);
  if (p.completionTokens !== undefined) facts.push(`completion tokens: ${p.completionTokens}`);
  if (p.budget) facts.push(`budget: ${p.budget.used ?? '?'} of ${p.budget.limit ?? '?'} tokens`);
  for (const f of facts) lines.push(`- ${f}`);
  lines.push(...renderSources(p));
  for (const m of p.messages ?? []) {
    lines.push('', `## ${m.role}`, '', fence(m.content));
  }
  // A reasoning model's thinking: apart from the answer, collapsed.
  if (p.reasoning) lines.push('', '<details><summary>reasoning</summary>', '', fence(p.reasoning), '', '</details>');
  lines.push('', '## answer', '', fence(p.answer ?? ''));
  return lines.join('\n') + '\n';
}

/** What went into the prompt and what was left out, and the story bible's entries with why each came in. */
function renderSources(p: LastPrompt): string[] {
  const out: string[] = [];
  const item = (i: BudgetItem): string => {
    const what = [i.kind, i.label].filter(Boolean).join(': ') || 'source';
    const cut = i.truncated ? `, cut${i.cutReason ? `: ${i.cutReason}` : ''}` : '';
    return `- ${what} (${i.tokens ?? '?'} tokens${cut})`;
  };
  const included = p.budget?.included ?? [];
  const trimmed = p.budget?.trimmed ?? [];
  if (included.length > 0 || trimmed.length > 0) {
    out.push('', '## Sources', '', ...included.map(item));
    if (trimmed.length > 0) out.push('', 'Left out or cut:', '', ...trimmed.map(item));
  }
  const bible = p.bible;
  if (bible && ((bible.included?.length ?? 0) > 0 || (bible.leftOut?.length ?? 0) > 0)) {
    out.push('', '## Story bible', '');
    for (const e of bible.included ?? []) out.push(`- ${e.name}: ${e.reason ?? 'included'}${e.tokens !== undefined ? ` (${e.tokens} tokens)` : ''}`);
    if ((bible.leftOut?.length ?? 0) > 0) {
      out.push('', 'Left out:', '');
      for (const e of bible.leftOut ?? []) out.push(`- ${e.name}: ${e.why ?? 'left out'}${e.reason ? ` (it came in as ${e.reason})` : ''}`);
    }
  }
  return out;
}

/** The short-term memory as the writer edits it (the rationale is shown by Show Memory's long-term view). */
export function renderShortTermMemory(s: StoryState): string {
  return (s.shortTermMemory ?? '').trimEnd() + '\n';
}

/** The long-term memory file (JSON Lines, one entry per paragraph) as a numbered Markdown list, with the story's state on top. */
export function renderLongTermMemory(s: StoryState, jsonl: string | undefined): string {
  const lines: string[] = [`# ${s.title || 'Untitled'}: memory`, ''];
  const c = s.counts ?? {};
  lines.push(
    `- step ${s.step ?? 0}, ${c.paragraphs ?? 0} paragraphs, ${c.words ?? 0} words, ${c.memoryEntries ?? 0} memory entries`,
  );
  if (s.provider) lines.push(`- provider: ${s.provider}${s.model ? ` (${s.model})` : ''}`);
  if (s.statePath) lines.push(`- state: ${s.statePath}`);
  if (s.rationale) lines.push('', '## Why the short-term memory changed', '', s.rationale.trim());
  if (s.outline) lines.push('', '## Outline', '', s.outline.trim());
  lines.push('', '## Long-term memory', '');
  const entries = (jsonl ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (entries.length === 0) lines.push('(empty: run Recurrent: Adopt This Manuscript to build it)');
  entries.forEach((line, i) => {
    let summary = line;
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (typeof e.summary === 'string') summary = e.summary;
    } catch {
      // A line that is not JSON is shown as it is: the reader still learns what the file holds.
    }
    lines.push(`${i + 1}. ${summary.replace(/\s+/g, ' ').trim()}`);
  });
  return lines.join('\n') + '\n';
}

function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return `${ticks}text\n${text}\n${ticks}`;
}
