// The status bar item's text and tooltip, from `recurrent/status` and `recurrent/storyState`.
//
// Pure functions (no `vscode` import) so they run under node:test.
import type { StatusParams } from './protocol';

export interface StatusView {
  text: string;
  tooltip: string;
}

/**
 * `$(sync~spin)` while the server writes or indexes, the provider/model and memory size otherwise; for an entry
 * of the story bible in front (`bibleEntry`), what it is instead.
 */
export function statusView(s: StatusParams | undefined, bibleEntry = false): StatusView {
  if (bibleEntry)
    return {
      text: '$(book) Recurrent · bible entry',
      tooltip: "Recurrent: an entry of the story bible, the book's notes: the model reads it when the story needs it.",
    };
  if (!s) return { text: '$(book) Recurrent', tooltip: 'Recurrent: starting…' };
  const who = [s.provider || 'offline', s.model].filter(Boolean).join(' · ');
  const memory = s.memoryEntries !== undefined ? ` · ${s.memoryEntries} mem` : '';
  const icon = s.state === 'idle' ? '$(book)' : s.state === 'indexing' ? '$(loading~spin)' : '$(sync~spin)';
  const busy = s.state === 'idle' ? '' : ` · ${s.state}`;
  const tooltip = [
    `Recurrent: ${s.state}`,
    `provider: ${s.provider || 'offline'}${s.model ? `, model: ${s.model}` : ''}`,
    s.memoryEntries !== undefined ? `long-term memory: ${s.memoryEntries} entries` : '',
    s.message ?? '',
    'Click to choose the next plan.',
  ]
    .filter(Boolean)
    .join('\n');
  return { text: `${icon} ${who}${memory}${busy}`, tooltip };
}
