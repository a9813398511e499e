// The Book view in the Explorer: the chapters of the active manuscript's book; a click opens one.
//
// Asks the server (recurrent/bookOutline) whenever the active editor changes or a book command ran; a file that
// is not a story shows the view's welcome text instead.
import * as vscode from 'vscode';
import { chapterRows, type ChapterRow } from './bookOutline';
import type { BookOutline } from './protocol';

export class BookTree implements vscode.TreeDataProvider<ChapterRow> {
  private rows: ChapterRow[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly outline: (uri: string) => Promise<BookOutline | undefined>) {}

  /** Reads the book of `uri` (undefined: no manuscript in front, the view empties). */
  async refresh(uri: string | undefined): Promise<void> {
    this.rows = uri ? chapterRows(await this.outline(uri).catch(() => undefined)) : [];
    this.changed.fire();
  }

  getTreeItem(row: ChapterRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.resourceUri = vscode.Uri.parse(row.uri);
    item.command = { command: 'vscode.open', title: 'Open Chapter', arguments: [vscode.Uri.parse(row.uri)] };
    return item;
  }

  getChildren(): ChapterRow[] {
    return this.rows;
  }
}
