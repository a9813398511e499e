// The server's streamed edits (`workspace/applyEdit`), applied so that one continuation is one undo step and a
// closed tab is never written to.
//
// The server sends a paragraph in many small edits, each marked with the stream's `editGroup` (docs/LSP.md).
// vscode-languageclient would apply each with `workspace.applyEdit`, one undo stop per piece (about a hundred
// Ctrl+Z for one paragraph). Here an edit for a visible editor goes through `TextEditor.edit` with no undo stop
// between the pieces of one group, as long as nothing else changed the document in between. An edit for a
// document without an open tab is refused (the writer closed it: writing there would commit text nobody sees).
// Anything else falls through to the client's own handler. Runs on the extension host's thread.
//
// Closing the tab mid-stream cancels the job, but auto save (the default in VS Code for the Web) or a Save
// when closing may already have written part of the paragraph to the file. The text from before the stream is
// kept, so the file can be given it back once the job is over.
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

/** The stream of one group into one document: its text before the first piece, its version after the last. */
interface Stream {
  group: number;
  version: number;
  before: string;
  document: vscode.TextDocument;
  /** Pieces applied so far. */
  pieces: number;
  /** False once something else changed the document between two pieces. */
  alone: boolean;
}

const kCloseWaitMs = 10_000;

/** Resolves true once `doc` is closed, false after `ms` if it is still open. */
function closed(doc: vscode.TextDocument, ms: number): Promise<boolean> {
  if (doc.isClosed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value: boolean): void => {
      clearTimeout(timer);
      listener.dispose();
      resolve(value);
    };
    const listener = vscode.workspace.onDidCloseTextDocument((d) => d === doc && done(true));
    const timer = setTimeout(() => done(doc.isClosed), ms);
  });
}

export class StreamedEdits {
  private readonly streams = new Map<string, Stream>();

  async handle(params: unknown, next: (p: never) => Promise<unknown>): Promise<unknown> {
    const p = params as ServerEdit;
    const changes = p.edit?.changes;
    const uris = changes ? Object.keys(changes) : [];
    if (p.editGroup === undefined || !changes || uris.length !== 1 || p.edit.documentChanges) return next(params as never);
    const uri = uris[0] as string;
    if (!hasOpenTab(uri)) return { applied: false, failureReason: 'the tab was closed' } satisfies ApplyResult;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
    if (!editor) return next(params as never);
    const doc = editor.document;
    let stream = this.streams.get(uri);
    if (stream?.group !== p.editGroup || stream.document !== doc) {
      stream = { group: p.editGroup, version: doc.version, before: doc.getText(), document: doc, pieces: 0, alone: true };
      this.streams.set(uri, stream);
    }
    const joins = stream.pieces > 0 && stream.version === doc.version;
    if (stream.pieces > 0 && !joins) stream.alone = false;
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
      this.streams.delete(uri);
      return next(params as never);
    }
    if (applied) {
      stream.version = doc.version;
      stream.pieces += 1;
    }
    return applied ? { applied: true } : { applied: false, failureReason: 'the editor refused the edit' };
  }

  /** The job writing into `uri` is over and its tab is open: what it streamed is the writer's text now. */
  ended(uri: string): void {
    this.streams.delete(uri);
  }

  /**
   * The job writing into `uri` is over and its tab was closed while it ran. When nothing but the stream changed
   * the document, a file that differs from the text before the stream holds part of it (auto save, or Save
   * when closing): it gets that text back. Says what it did, for the log.
   */
  async abandoned(uri: string): Promise<'restored' | string> {
    const stream = this.streams.get(uri);
    this.streams.delete(uri);
    if (!stream) return 'no stream had begun';
    if (!stream.alone || stream.document.version !== stream.version) return 'the writer changed the document too: left as it is';
    // Closing a changed tab saves it first under auto save: write only once VS Code is done with the document.
    if (!(await closed(stream.document, kCloseWaitMs))) return 'the document stayed open: its undo has the stream';
    const file = vscode.Uri.parse(uri);
    const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    if (onDisk === stream.before) return 'the file was not saved mid-stream';
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(stream.before));
    return 'restored';
  }
}
