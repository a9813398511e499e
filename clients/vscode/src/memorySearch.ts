// The Search Memory quick pick's items: the server's `workspace/symbol` answers (paragraphs found by meaning).
//
// VS Code's own symbol picker fuzzy-matches the literal query against each name, so a question finds nothing;
// these items are shown as the server ranked them (`alwaysShow`, no filtering by VS Code). Pure functions (no
// `vscode` import) so they run under node:test.

/** The part of an LSP SymbolInformation the picker needs. */
export interface MemorySymbol {
  name: string;
  containerName?: string;
  location: { uri: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } };
}

export interface MemoryItem {
  label: string;
  description?: string;
  detail?: string;
  alwaysShow: true;
  uri: string;
  line: number;
  character: number;
}

const kLabelLength = 90;

/** "¶12 Mara finds the radio" → the paragraph number and the summary apart. */
function splitName(name: string): { paragraph?: string; summary: string } {
  const m = /^¶(\d+)\s+([\s\S]*)$/.exec(name);
  return m ? { paragraph: m[1], summary: m[2] } : { summary: name };
}

function fileName(uri: string): string {
  const last = uri.split('/').pop() ?? uri;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** One item per symbol, in the server's order: the summary as the label, paragraph, chapter and file beside it. */
export function memoryItems(symbols: readonly MemorySymbol[] | null | undefined): MemoryItem[] {
  return (symbols ?? []).map((s) => {
    const { paragraph, summary } = splitName(s.name);
    const line = summary.replace(/\s+/g, ' ').trim();
    const label = line.length <= kLabelLength ? line : line.slice(0, kLabelLength - 1).trimEnd() + '…';
    const where = [paragraph ? `¶${paragraph}` : '', s.containerName ?? '', fileName(s.location.uri)].filter(Boolean);
    return {
      label,
      description: where.join(' · '),
      ...(label !== line ? { detail: line } : {}),
      alwaysShow: true,
      uri: s.location.uri,
      line: s.location.range.start.line,
      character: s.location.range.start.character,
    };
  });
}
