// The Story view in the Explorer: the plans (a click writes the next paragraph with one), the short-term memory
// (a click edits it) and the long-term memory (a click shows it) of the manuscript in front.
//
// Refreshed with the status bar (the active editor changed, a command ran, a job ended); a file that is not a
// story shows the view's welcome text instead.
import * as vscode from 'vscode';
import type { StoryState } from './protocol';
import { storyRows, type StoryRow } from './storyRows';

export class StoryTree implements vscode.TreeDataProvider<StoryRow> {
  private rows: StoryRow[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  /** Shows `state` (undefined: no story in front, the view empties). */
  show(state: StoryState | undefined): void {
    this.rows = storyRows(state);
    this.changed.fire();
  }

  getTreeItem(row: StoryRow): vscode.TreeItem {
    const item = new vscode.TreeItem(
      row.label,
      row.children ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    if (row.description) item.description = row.description;
    if (row.tooltip) item.tooltip = row.tooltip;
    if (row.icon) item.iconPath = new vscode.ThemeIcon(row.icon);
    if (row.command) item.command = row.command;
    return item;
  }

  getChildren(row?: StoryRow): StoryRow[] {
    return row ? (row.children ?? []) : this.rows;
  }
}
