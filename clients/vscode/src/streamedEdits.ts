// The server's streamed edits (`workspace/applyEdit`), applied so that one continuation is one undo step and a
// closed tab is never written to.
//
// The server sends a paragraph in many small edits, each marked with the stream's `editGroup` (docs/LSP.md).
// vscode-languageclient would apply each with `workspace.applyEdit`, one undo stop per piece (about a hundred
// Ctrl+Z for one paragraph). Here an edit for a visible editor goes through `TextEditor.edit` with no undo stop
// between the pieces of one group, as long as nothing else changed the document in between. An edit for a
// document without an open tab is refused (the writer closed it: writing there would commit text nobody sees).
// Anything else falls through to the client's own handler. Runs on the extension host's thread.
import * as vscode from 'vscode';

interface ServerEdit {
  label?: string;
  editGroup?: number;
  edit: { changes?: Record<string, Array<{ range: LspRange; newText: string }>>; documentChanges?: unknown[] };
}
interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
export interface ApplyResult {
  applied: boolean;
  failureReason?: string;
}

/** Whether a tab shows the document (an editor closed with its tab counts as closed, whatever VS Code keeps). */
export function hasOpenTab(uri: string): boolean {
  return vscode.window.tabGroups.all.some((g) =>
    g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri),
  );
}

export class StreamedEdits {
  /** uri → the group of the last edit applied here and the document version right after it. */
  private readonly last = new Map<string, { group: number; version: number }>();

  async handle(params: unknown, next: (p: never) => Promise<unknown>): Promise<unknown> {
    const p = params as ServerEdit;
    const changes = p.edit?.changes;
    const uris = changes ? Object.keys(changes) : [];
    if (p.editGroup === undefined || !changes || uris.length !== 1 || p.edit.documentChanges) return next(params as never);
    const uri = uris[0] as string;
    if (!hasOpenTab(uri)) return { applied: false, failureReason: 'the tab was closed' } satisfies ApplyResult;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
    if (!editor) return next(params as never);
    const last = this.last.get(uri);
    const joins = last !== undefined && last.group === p.editGroup && last.version === editor.document.version;
    let applied: boolean;
    try {
      applied = await editor.edit(
        (b) => {
          for (const e of changes[uri] ?? [])
            b.replace(new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
        },
        { undoStopBefore: !joins, undoStopAfter: false },
      );
    } catch {
      // The editor went away under us (VS Code recreated it): the client's own handler still applies the edit.
      this.last.delete(uri);
      return next(params as never);
    }
    if (applied) this.last.set(uri, { group: p.editGroup, version: editor.document.version });
    return applied ? { applied: true } : { applied: false, failureReason: 'the editor refused the edit' };
  }
}
