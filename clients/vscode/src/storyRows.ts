// The Story view's rows: the plans for the next paragraph, the short-term memory and the long-term memory of the
// manuscript in front, from `recurrent/storyState`.
//
// Pure functions (no `vscode` import) so they run under node:test.
import { plural } from './bookOutline';
import { planLabel } from './plans';
import type { StoryState } from './protocol';

/** What a click on a row runs: a `recurrent.ui.*` command and its arguments. */
export interface RowCommand {
  command: string;
  title: string;
  arguments?: unknown[];
}

export interface StoryRow {
  label: string;
  description?: string;
  tooltip?: string;
  icon?: string;
  command?: RowCommand;
  children?: StoryRow[];
}

/**
 * Three groups for an adopted story (none for a file that is not one: the view's welcome text offers Adopt).
 * While the server writes, the plans are shown without their command: a click would only be refused.
 */
export function storyRows(s: StoryState | undefined): StoryRow[] {
  if (!s || s.adopted === false) return [];
  const busy = s.busy === true;
  // Numbered by their index on the server, which recurrent.continue's planIndex names, blank ones left out.
  const plans: StoryRow[] = (s.plans ?? [])
    .map((p, i) => ({ plan: p.trim(), i }))
    .filter(({ plan }) => plan.length > 0)
    .map(({ plan, i }) => ({
      label: planLabel(plan),
      description: busy ? `plan ${i + 1} · writing…` : `plan ${i + 1}`,
      tooltip: busy ? `${plan}\n\nRecurrent is writing: wait for it, or cancel it.` : `${plan}\n\nClick to write the next paragraph with this plan.`,
      icon: 'debug-continue',
      ...(busy ? {} : { command: { command: 'recurrent.ui.continueWithPlan', title: 'Continue With This Plan', arguments: [i] } }),
    }));
  plans.push(
    { label: 'Suggest new plans', icon: 'refresh', command: { command: 'recurrent.ui.suggestPlans', title: 'Suggest New Plans' } },
    { label: 'Edit the plans…', icon: 'edit', command: { command: 'recurrent.ui.editPlans', title: 'Edit the Plans' } },
  );

  const memory = (s.shortTermMemory ?? '').replace(/\s+/g, ' ').trim();
  const shortTerm: StoryRow = {
    label: memory ? planLabel(memory) : '(empty)',
    tooltip: [s.shortTermMemory?.trim() || 'The short-term memory is empty.', s.rationale?.trim() ? `Why it changed: ${s.rationale.trim()}` : '', 'Click to edit it.']
      .filter(Boolean)
      .join('\n\n'),
    icon: 'note',
    command: { command: 'recurrent.ui.editShortTermMemory', title: 'Edit the Short-Term Memory' },
  };

  const c = s.counts ?? {};
  const longTerm: StoryRow[] = [
    {
      label: `${(c.memoryEntries ?? 0).toLocaleString('en-US')} ${c.memoryEntries === 1 ? 'entry' : 'entries'}`,
      description: `step ${s.step ?? 0} · ${plural(c.paragraphs ?? 0, 'paragraph')}`,
      tooltip: 'Every paragraph summarised: click to read the whole memory.',
      icon: 'book',
      command: { command: 'recurrent.ui.showMemory', title: 'Show Memory' },
    },
    { label: 'Search memory…', icon: 'search', command: { command: 'recurrent.ui.searchMemory', title: 'Search Memory' } },
  ];

  return [
    { label: 'Plans for the next paragraph', icon: 'list-ordered', children: plans },
    { label: 'Short-term memory', icon: 'history', children: [shortTerm] },
    { label: 'Long-term memory', icon: 'database', children: longTerm },
  ];
}
