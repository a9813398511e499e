// The book outline (`recurrent/bookOutline`) as the rows of the Book tree view.
//
// Pure functions (no `vscode` import) so they run under node:test.
import type { BookOutline } from './protocol';

export interface ChapterRow {
  label: string;
  description: string;
  tooltip: string;
  uri: string;
}

/** One row per chapter, in book order: "2. The Letter", "14 paragraphs · 2,310 words", the summary as tooltip. */
export function chapterRows(outline: BookOutline | undefined): ChapterRow[] {
  return (outline?.chapters ?? []).map((c, i) => ({
    label: `${i + 1}. ${c.title || c.file}`,
    description: `${plural(c.paragraphs ?? 0, 'paragraph')} · ${plural(c.words ?? 0, 'word')}`,
    tooltip: [c.file, c.summary].filter((s) => s).join('\n\n'),
    uri: c.uri,
  }));
}

/** "1 word", "1,200 words". */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
