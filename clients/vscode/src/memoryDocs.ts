// Documents that show the server's state in editor tabs: the short-term memory and the plans, editable
// (saving sends `recurrent.setShortTermMemory` / `recurrent.setPlans`), and read-only views of the long-term
// memory and the last prompt.
//
// The manuscript a document belongs to travels in its URI's query, so the views survive a window reload.
// Used from the extension host's single thread.
import * as vscode from 'vscode';
import { parsePlansDocument, renderPlansDocument } from './plans';
import type { LastPrompt, StoryState } from './protocol';
import { renderLastPrompt, renderLongTermMemory, renderShortTermMemory } from './views';

export const kMemoryScheme = 'recurrent-memory';
export const kViewScheme = 'recurrent-view';

type EditableKind = 'short-term' | 'plans';
type ViewKind = 'memory' | 'prompt';

/** The manuscript URI a memory or view document was opened for. */
export function manuscriptOf(uri: vscode.Uri): string {
  return new URLSearchParams(uri.query).get('manuscript') ?? '';
}

function docUri(scheme: string, manuscript: vscode.Uri, kind: string, title: string): vscode.Uri {
  const name = manuscript.path.split('/').pop() ?? 'manuscript';
  return vscode.Uri.from({
    scheme,
    path: `/${kind}/${name} — ${title}.md`,
    query: new URLSearchParams({ manuscript: manuscript.toString() }).toString(),
  });
}

export interface MemoryBackend {
  storyState(uri: string): Promise<StoryState>;
  setShortTermMemory(uri: string, text: string): Promise<void>;
  setPlans(uri: string, plans: string[]): Promise<void>;
}

/** The editable short-term memory and plans, read from `recurrent/storyState` and saved through the server's commands. */
export class MemoryFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly mtimes = new Map<string, number>();
  private readonly sizes = new Map<string, number>();

  constructor(private readonly backend: MemoryBackend) {}

  static uriFor(manuscript: vscode.Uri, kind: EditableKind): vscode.Uri {
    return docUri(kMemoryScheme, manuscript, kind, kind === 'plans' ? 'plans' : 'short-term memory');
  }

  private kind(uri: vscode.Uri): EditableKind {
    const k = uri.path.split('/')[1];
    if (k === 'short-term' || k === 'plans') return k;
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    this.kind(uri);
    const key = uri.toString();
    if (!this.mtimes.has(key)) this.mtimes.set(key, Date.now());
    return { type: vscode.FileType.File, ctime: 0, mtime: this.mtimes.get(key) ?? 0, size: this.sizes.get(key) ?? 0 };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const state = await this.backend.storyState(manuscriptOf(uri));
    const text = this.kind(uri) === 'plans' ? renderPlansDocument(state.plans) : renderShortTermMemory(state);
    const bytes = new TextEncoder().encode(text);
    this.sizes.set(uri.toString(), bytes.byteLength);
    return bytes;
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const text = new TextDecoder().decode(content);
    const manuscript = manuscriptOf(uri);
    if (this.kind(uri) === 'plans') {
      const plans = parsePlansDocument(text);
      if (plans.length === 0) throw vscode.FileSystemError.NoPermissions('Keep at least one plan.');
      await this.backend.setPlans(manuscript, plans);
    } else {
      await this.backend.setShortTermMemory(manuscript, text.trimEnd());
    }
    this.mtimes.set(uri.toString(), Date.now());
    this.sizes.set(uri.toString(), content.byteLength);
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }
  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}

export interface ViewBackend {
  storyState(uri: string): Promise<StoryState>;
  lastPrompt(uri: string): Promise<LastPrompt | null>;
  readFile(path: string): Promise<string | undefined>;
}

/** Read-only views: the long-term memory (from the state folder's memory file) and the last prompt. */
export class ViewProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly backend: ViewBackend) {}

  static uriFor(manuscript: vscode.Uri, kind: ViewKind): vscode.Uri {
    return docUri(kViewScheme, manuscript, kind, kind === 'prompt' ? 'last prompt' : 'long-term memory');
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const manuscript = manuscriptOf(uri);
    try {
      if (uri.path.startsWith('/prompt/')) return renderLastPrompt(await this.backend.lastPrompt(manuscript));
      const state = await this.backend.storyState(manuscript);
      const jsonl = state.statePath ? await this.backend.readFile(`${state.statePath.replace(/\/$/, '')}/memory.jsonl`) : undefined;
      return renderLongTermMemory(state, jsonl);
    } catch (e) {
      return `# Not available\n\nThe server could not answer: ${e instanceof Error ? e.message : String(e)}\n`;
    }
  }
}
