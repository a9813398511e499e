// The plan quick pick's items, and the plans as an editable text.
//
// Pure functions (no `vscode` import) so they run under node:test.

export type PlanAction =
  | { kind: 'plan'; planIndex: number; plan: string }
  | { kind: 'own' }
  | { kind: 'suggest' }
  | { kind: 'editAll' };

export interface PlanItem {
  label: string;
  description?: string;
  detail?: string;
  action: PlanAction;
}

const kLabelLength = 80;

/** Shortens a plan to one line for a quick-pick label; the full text goes in the detail. */
export function planLabel(plan: string): string {
  const line = plan.replace(/\s+/g, ' ').trim();
  return line.length <= kLabelLength ? line : line.slice(0, kLabelLength - 1).trimEnd() + '…';
}

/** One item per current plan (numbered from 1, the way writers talk about them), then "write my own", "suggest" and "edit the plans". */
export function planItems(plans: readonly string[] | undefined): PlanItem[] {
  const items: PlanItem[] = [];
  (plans ?? []).forEach((plan, i) => {
    const text = plan.trim();
    if (!text) return;
    const label = planLabel(text);
    items.push({
      label: `$(debug-continue) ${label}`,
      description: `plan ${i + 1}`,
      ...(label !== text.replace(/\s+/g, ' ') ? { detail: text } : {}),
      action: { kind: 'plan', planIndex: i, plan: text },
    });
  });
  items.push({ label: '$(edit) Write my own plan…', action: { kind: 'own' } });
  items.push({ label: '$(refresh) Suggest new plans', action: { kind: 'suggest' } });
  if (items.length > 2) items.push({ label: '$(list-unordered) Edit the plans…', description: 'saved plans replace these', action: { kind: 'editAll' } });
  return items;
}

/**
 * The arguments of `recurrent.continue` once the writer has confirmed (or edited) a plan: the index when
 * the text is unchanged (the server then uses its own plan), the free text when the writer edited it.
 */
export function continueArguments(
  uri: string,
  position: { line: number; character: number } | undefined,
  chosen: PlanAction,
  finalText: string,
): Record<string, unknown> {
  const args: Record<string, unknown> = { uri };
  if (position) args.position = position;
  const text = finalText.trim();
  if (chosen.kind === 'plan' && text === chosen.plan) args.planIndex = chosen.planIndex;
  else if (text) args.plan = text;
  return args;
}

/** The plans as an editable Markdown text: one paragraph per plan, under a comment that says how to edit. */
export function renderPlansDocument(plans: readonly string[] | undefined): string {
  const header = '<!-- The plans for the next paragraph, one paragraph each. Edit, add or remove, then save. -->';
  return [header, ...(plans ?? []).map((p) => p.trim()).filter(Boolean)].join('\n\n') + '\n';
}

/** Reads the plans back from the edited text: paragraphs, without HTML comments and list markers. */
export function parsePlansDocument(text: string): string[] {
  return text
    .replace(/<!--[\s\S]*?-->/g, '')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}
