// The story bible (`recurrent/bibleAt`) as the rows of the Story Bible tree view, and the file "Add Bible
// Entry" creates.
//
// Pure functions (no `vscode` import) so they run under node:test.
import { plural } from './bookOutline';
import type { BibleAt, Range } from './protocol';

/** The entry types of the bible's front matter, in the order the view shows them. */
export const kBibleTypes = ['character', 'place', 'object', 'lore', 'other'] as const;

export interface BibleEntryRow {
  kind: 'entry';
  label: string;
  description: string;
  tooltip: string;
  uri: string;
  range: Range;
  /** The first mention in the book, the entry's one child. */
  first?: { uri: string; range: Range };
}

export interface BibleGroupRow {
  kind: 'group';
  label: string;
  description: string;
  entries: BibleEntryRow[];
}

/** Entries grouped by type ("Characters", "Places", ...; an unknown type goes to "Other"), by name within a group. */
export function bibleGroups(at: BibleAt | undefined): BibleGroupRow[] {
  const byType = new Map<string, BibleEntryRow[]>();
  for (const e of at?.entries ?? []) {
    const type = (kBibleTypes as readonly string[]).includes(e.type) ? e.type : 'other';
    const row: BibleEntryRow = {
      kind: 'entry',
      label: e.name,
      description: plural(e.mentions, 'mention'),
      tooltip: [e.aliases.length ? `${e.name} (${e.aliases.join(', ')})` : e.name, e.description].filter((s) => s).join('\n\n'),
      uri: e.location.uri,
      range: e.location.range,
      first: e.first,
    };
    byType.set(type, [...(byType.get(type) ?? []), row]);
  }
  return kBibleTypes
    .filter((t) => byType.has(t))
    .map((t) => {
      const entries = byType.get(t)!.sort((a, b) => a.label.localeCompare(b.label));
      return { kind: 'group', label: groupLabel(t), description: String(entries.length), entries };
    });
}

/** A file name for an entry: "Mara Vell" → "mara-vell" (letters of any script kept; "entry" if none). */
export function entrySlug(name: string): string {
  const slug = name
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'entry';
}

/** The text of a new entry file: the type in front matter, the name as its first heading. */
export function entryFileText(name: string, type: string): string {
  return `---\ntype: ${type}\n---\n\n# ${name.trim()}\n\n`;
}

function groupLabel(type: string): string {
  return type === 'lore' || type === 'other' ? type[0].toUpperCase() + type.slice(1) : `${type[0].toUpperCase()}${type.slice(1)}s`;
}
