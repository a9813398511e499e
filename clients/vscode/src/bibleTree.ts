// The Story Bible view in the Explorer: the entries of the active file's book by type, with their mention
// counts; a click opens an entry at its heading, its child jumps to the first appearance.
//
// Asks the server (recurrent/bibleAt) when the active editor changes and a moment after edits; a book with no
// bible shows the view's welcome text (where to create one, and the Add Bible Entry action).
import * as vscode from 'vscode';
import { bibleGroups, type BibleEntryRow, type BibleGroupRow } from './bibleRows';
import type { BibleAt, Range } from './protocol';

interface FirstRow {
  kind: 'first';
  uri: string;
  range: Range;
}
type Row = BibleGroupRow | BibleEntryRow | FirstRow;

export class BibleTree implements vscode.TreeDataProvider<Row> {
  private groups: BibleGroupRow[] = [];
  /** The bible folder of the last book shown, where Add Bible Entry creates files. */
  folder: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly bibleAt: (uri: string) => Promise<BibleAt | undefined>) {}

  /** Reads the bible of `uri`'s book (undefined: no file in front, the view empties). */
  async refresh(uri: string | undefined): Promise<void> {
    const at = uri ? await this.bibleAt(uri).catch(() => undefined) : undefined;
    this.groups = bibleGroups(at);
    this.folder = at?.folder;
    this.changed.fire();
  }

  getTreeItem(row: Row): vscode.TreeItem {
    if (row.kind === 'group') {
      const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.Expanded);
      item.description = row.description;
      return item;
    }
    const at = (uri: string, range: Range): vscode.Command => ({
      command: 'vscode.open',
      title: 'Open',
      arguments: [vscode.Uri.parse(uri), { selection: toRange(range) } satisfies vscode.TextDocumentShowOptions],
    });
    if (row.kind === 'first') {
      const item = new vscode.TreeItem(`first: ${baseName(row.uri)}:${row.range.start.line + 1}`, vscode.TreeItemCollapsibleState.None);
      item.tooltip = 'The first appearance in the book';
      item.command = at(row.uri, row.range);
      return item;
    }
    const item = new vscode.TreeItem(row.label, row.first ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.command = at(row.uri, row.range);
    return item;
  }

  getChildren(row?: Row): Row[] {
    if (!row) return this.groups;
    if (row.kind === 'group') return row.entries;
    if (row.kind === 'entry' && row.first) return [{ kind: 'first', uri: row.first.uri, range: row.first.range }];
    return [];
  }
}

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function baseName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}
