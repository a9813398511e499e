// The extension's entry point: starts `recurrent lsp` and wires its commands, status bar and views into VS Code.
//
// Thin by design (docs/STYLE.md, Clients): the server owns every story decision; this file turns gestures into
// `workspace/executeCommand` requests and shows what the server sends back. Runs on the extension host's single
// thread.
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CodeLensRequest,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  State,
} from 'vscode-languageclient/node';
import { hasOpenTab, StreamedEdits } from './streamedEdits';
import { continueArguments, type PlanAction, planItems } from './plans';
import { MemoryFileSystem, kMemoryScheme, kViewScheme, ViewProvider } from './memoryDocs';
import { BibleTree } from './bibleTree';
import { entryFileText, entrySlug, kBibleTypes } from './bibleRows';
import { BookTree } from './bookTree';
import { StoryTree } from './storyTree';
import { type BibleAt, kBibleAt, type BookOutline, kBookOutline, kLastPrompt, kStatus, kStoryState, type LastPrompt, type StatusParams, type StoryState } from './protocol';
import { readSettings, type RecurrentSettings, needsRestart, resolveServerCommand, serverConfiguration, serverEnvironment } from './settings';
import { logLevelOf } from './serverLog';
import { statusView } from './status';
import { type MemoryItem, memoryItems, type MemorySymbol } from './memorySearch';
import { actionTitle, kRecurrentActionKind, offerActionsAt } from './codeActions';

const kSecretKey = 'recurrent.apiKey';
const kRequestCancelled = -32800;
/** Server commands that write (and call the model): run with a cancellable notification, one per document. */
const kJobTitles: Record<string, string> = {
  'recurrent.continue': 'Recurrent: writing the next paragraph',
  'recurrent.newStory': 'Recurrent: writing the opening',
  'recurrent.adopt': 'Recurrent: adopting the manuscript',
  'recurrent.makeBook': 'Recurrent: making the book',
  'recurrent.suggestPlans': 'Recurrent: suggesting plans',
  'recurrent.check': 'Recurrent: checking continuity',
};

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Recurrent', { log: true });
  const status = vscode.window.createStatusBarItem('recurrent.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'Recurrent';
  status.command = 'recurrent.ui.choosePlan';
  const showStatus = (s: StatusParams | undefined, bibleEntry = false): void => {
    const v = statusView(s, bibleEntry);
    status.text = v.text;
    status.tooltip = v.tooltip;
    status.show();
  };
  showStatus(undefined);
  context.subscriptions.push(output, status);

  const settings = (): RecurrentSettings => readSettings((k) => vscode.workspace.getConfiguration('recurrent').get(k));
  let current = settings();
  const streamed = new StreamedEdits();
  /** uri → the cancel source of the job writing there (Recurrent: Cancel, closing its tab). */
  const jobs = new Map<string, vscode.CancellationTokenSource>();
  /** The jobs cancelled because their tab closed. */
  const tabClosed = new WeakSet<vscode.CancellationTokenSource>();
  // The last error the server showed, so a command's error that repeats it is not a second notification.
  let lastServerError = { text: '', at: 0 };
  const repeatsServerError = (message: string): boolean =>
    Date.now() - lastServerError.at < 3000 && lastServerError.text.includes(message);
  /** One notification per failure, with what the writer can do about it. */
  const showFailure = async (message: string): Promise<void> => {
    const text = message.startsWith('Recurrent') ? message : `Recurrent: ${message}`;
    const action = await vscode.window.showErrorMessage(text, 'Show Log', 'Open Settings');
    if (action === 'Show Log') output.show(true);
    else if (action === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:recurrent.recurrent');
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'markdown' },
      { scheme: 'file', language: 'plaintext' },
    ],
    outputChannel: output,
    stdioOptions: {
      stdout: () => undefined, // the LSP stream itself, read by the client
      stderr: (input, channel) => {
        readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', (line) => channel[logLevelOf(line)](line));
      },
    },
    middleware: {
      // No lightbulb on every line: unasked, the actions show where the next paragraph goes; under their own
      // heading, titled as Recurrent's, rather than under "Rewrite".
      // A finding's quick fixes keep their kind, so VS Code offers them on the diagnostic (its lightbulb, the
      // Problems view, "Quick Fix..." on hover).
      provideCodeActions: async (document, range, context, token, next) => {
        const asked = context.triggerKind === vscode.CodeActionTriggerKind.Invoke;
        const onFinding = context.diagnostics.some((d) => d.source === 'recurrent');
        if (!onFinding && !offerActionsAt(document.lineCount, (i) => document.lineAt(i).text, range.start.line, asked)) return [];
        const actions = await next(document, range, context, token);
        const kind = vscode.CodeActionKind.Empty.append(kRecurrentActionKind);
        return (actions ?? []).map((a) => {
          if (a instanceof vscode.CodeAction) {
            a.title = actionTitle(a.title);
            if (!a.kind || !vscode.CodeActionKind.QuickFix.contains(a.kind)) a.kind = kind;
          }
          return a;
        });
      },
      // Code lenses and code actions run server commands too: the writing ones get the same progress and Cancel.
      executeCommand: async (command, args, next) => {
        if (!(command in kJobTitles)) return next(command, args);
        const first = (args[0] ?? {}) as Record<string, unknown>;
        return runJob(command, first);
      },
      workspace: {
        handleApplyEdit: (params, next) => streamed.handle(params, next as never) as never,
        // The settings listener below sends didChangeConfiguration itself, once per change and never while the
        // server restarts (the client's own would fail then, as a stack-trace toast).
        didChangeConfiguration: async () => undefined,
        // The server pulls section `recurrent`: answer with the typed, cleaned settings (no "auto", no empty strings).
        configuration: async (params, token, next) => {
          const raw = await next(params, token);
          if (!Array.isArray(raw)) return raw;
          return params.items.map((item, i) => {
            if (item.section !== 'recurrent') return raw[i];
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return serverConfiguration(readSettings((k) => vscode.workspace.getConfiguration('recurrent', scope).get(k)));
          });
        },
      },
    },
  };

  // A function, not an Executable: each (re)start reads the current path, settings and key.
  let startedWithKey: string | undefined;
  const serverOptions = async () => {
    const s = settings();
    const bundled = context.asAbsolutePath(path.join('server', 'recurrent'));
    const cmd = resolveServerCommand(s.serverPath, bundled, process.env.PATH, existsSync);
    const cannotStart = (why: string): Error => {
      void vscode.window
        .showErrorMessage(`Recurrent: ${why}`, 'Open Settings')
        .then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', 'recurrent.server.path'));
      return new Error(why);
    };
    if (cmd.source === 'missing')
      throw cannotStart(
        s.serverPath
          ? `recurrent.server.path points to ${s.serverPath}, which does not exist.`
          : 'no recurrent server: this package has none bundled and recurrent is not on PATH. Set recurrent.server.path.',
      );
    const key = await context.secrets.get(kSecretKey);
    startedWithKey = key;
    output.info(`starting ${cmd.command} lsp --stdio (${cmd.source})`);
    const child = spawn(cmd.command, ['lsp', '--stdio'], {
      env: serverEnvironment(s, key, process.env),
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    });
    child.on('error', (e) => cannotStart(`cannot start ${cmd.command} (${e.message}).`));
    return child;
  };

  client = new LanguageClient('recurrent', 'Recurrent', serverOptions, clientOptions);
  const lc = client;
  context.subscriptions.push(
    // Instead of the client's plain toasts: errors get actions, and a command's error repeating one stays quiet.
    lc.onNotification(ShowMessageNotification.type, (m) => {
      if (m.type === MessageType.Error) {
        lastServerError = { text: m.message, at: Date.now() };
        void showFailure(m.message);
      } else if (m.type === MessageType.Warning) void vscode.window.showWarningMessage(`Recurrent: ${m.message}`);
      else void vscode.window.showInformationMessage(`Recurrent: ${m.message}`);
    }),
    lc.onNotification(kStatus, (p: StatusParams) => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      if (p.uri && p.uri !== active) return;
      showStatus(p);
      void refreshStory(); // a job began or ended: the plans and the memory follow
    }),
    // The status bar follows the server through a restart: never left on "stopped" once it runs again.
    lc.onDidChangeState((e) => {
      if (e.newState === State.Stopped) {
        status.text = '$(error) Recurrent stopped';
        status.tooltip = 'The server is not running: run Recurrent: Restart Server (details in the Recurrent output).';
      } else if (e.newState === State.Starting) {
        status.text = '$(sync~spin) Recurrent starting';
        status.tooltip = 'Recurrent: the server is starting';
      } else if (e.newState === State.Running) {
        showStatus(undefined);
        void refreshStatus();
      }
    }),
  );

  // A save that the server refuses must fail (the tab stays dirty and VS Code says why), so these throw.
  const memoryFs = new MemoryFileSystem({
    storyState: (uri) => storyState(uri),
    setShortTermMemory: async (uri, text) => {
      await (await ensureRunning()).sendRequest(ExecuteCommandRequest.type, { command: 'recurrent.setShortTermMemory', arguments: [{ uri, text }] });
    },
    setPlans: async (uri, plans) => {
      await (await ensureRunning()).sendRequest(ExecuteCommandRequest.type, { command: 'recurrent.setPlans', arguments: [{ uri, plans }] });
    },
  });
  const views = new ViewProvider({
    storyState: (uri) => storyState(uri),
    lastPrompt: async (uri) => (await ensureRunning()).sendRequest<LastPrompt | null>(kLastPrompt, { uri }),
    readFile: async (p) => {
      try {
        return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(p)));
      } catch {
        return undefined;
      }
    },
  });
  const book = new BookTree(async (uri) => {
    const c = await ensureRunning();
    return (await c.sendRequest<StoryState>(kStoryState, { uri })).book?.folder
      ? c.sendRequest<BookOutline>(kBookOutline, { uri })
      : undefined;
  });
  const refreshBook = (): Promise<void> => {
    const e = vscode.window.activeTextEditor;
    return book.refresh(e && e.document.uri.scheme === 'file' ? e.document.uri.toString() : undefined);
  };
  const story = new StoryTree();
  const bible = new BibleTree(async (uri) => (await ensureRunning()).sendRequest<BibleAt>(kBibleAt, { uri }));
  const activeFileUri = (): string | undefined => {
    const e = vscode.window.activeTextEditor;
    return e && e.document.uri.scheme === 'file' ? e.document.uri.toString() : undefined;
  };
  const refreshBible = (): Promise<void> => bible.refresh(activeFileUri());
  // Mention counts follow the text: once typing has rested this long.
  const kBibleRefreshDelayMs = 1000;
  let bibleTimer: ReturnType<typeof setTimeout> | undefined;
  context.subscriptions.push({ dispose: () => bibleTimer && clearTimeout(bibleTimer) });
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('recurrent.bible', bible),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme !== 'file' || e.contentChanges.length === 0) return;
      if (bibleTimer) clearTimeout(bibleTimer);
      bibleTimer = setTimeout(() => {
        bibleTimer = undefined;
        void refreshBible();
      }, kBibleRefreshDelayMs);
    }),
    vscode.window.registerTreeDataProvider('recurrent.book', book),
    vscode.window.registerTreeDataProvider('recurrent.story', story),
    vscode.workspace.registerFileSystemProvider(kMemoryScheme, memoryFs, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(kViewScheme, views),
  );

  // A backend setting typed in the Settings UI changes with every key: restart once it has rested this long.
  const kRestartDelayMs = 800;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  context.subscriptions.push({ dispose: () => restartTimer && clearTimeout(restartTimer) });

  // Restarts one at a time: a key change and a settings change arriving together restart the server once each, in order.
  let restarting: Promise<void> = Promise.resolve();
  function restartServer(): Promise<void> {
    restarting = restarting
      .then(async () => {
        if (lc.state === State.Stopped) await lc.start();
        else await lc.restart();
        await refreshStatus();
      })
      .catch((e: unknown) => output.error(`restart failed: ${e instanceof Error ? e.message : String(e)}`));
    return restarting;
  }

  async function ensureRunning(): Promise<LanguageClient> {
    if (lc.state === State.Stopped) await lc.start();
    return lc;
  }

  async function storyState(uri: string): Promise<StoryState> {
    return (await ensureRunning()).sendRequest<StoryState>(kStoryState, { uri });
  }

  /** Runs one server command; shows failures (except cancellation, and once only) and returns undefined for them. */
  async function runCommand<T>(command: string, args: Record<string, unknown>, token?: vscode.CancellationToken): Promise<T | undefined> {
    if (command in kJobTitles && !token) return (await runJob(command, args)) as T | undefined;
    const c = await ensureRunning();
    try {
      return (await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }, token)) as T;
    } catch (e) {
      if (e instanceof ResponseError && e.code === kRequestCancelled) return undefined;
      const message = e instanceof Error ? e.message : String(e);
      if (!repeatsServerError(message)) void showFailure(message);
      return undefined;
    }
  }

  /** A writing command as a notification with a Cancel button; Recurrent: Cancel and closing the tab cancel it too. */
  async function runJob(command: string, args: Record<string, unknown>): Promise<unknown> {
    const uri = typeof args.uri === 'string' ? args.uri : '';
    const source = new vscode.CancellationTokenSource();
    jobs.get(uri)?.dispose();
    jobs.set(uri, source);
    void vscode.commands.executeCommand('setContext', 'recurrent.writing', true);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: kJobTitles[command] ?? 'Recurrent', cancellable: true },
        async (_progress, token) => {
          token.onCancellationRequested(() => source.cancel());
          return runCommand(command, args, source.token);
        },
      );
    } finally {
      if (jobs.get(uri) === source) jobs.delete(uri);
      if (!tabClosed.has(source)) streamed.ended(uri);
      else {
        const outcome = await streamed.abandoned(uri).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
        output.info(`the tab of ${uri} closed while it was being written: ${outcome}`);
        if (outcome === 'restored')
          vscode.window.setStatusBarMessage(`Recurrent: the tab closed mid-paragraph; ${path.basename(vscode.Uri.parse(uri).fsPath)} is as it was`, 8000);
      }
      source.dispose();
      void vscode.commands.executeCommand('setContext', 'recurrent.writing', jobs.size > 0);
      refreshCodeLenses(); // the plans changed (adopt, a step, new plans): the lenses show the new ones
    }
  }

  /** Asks VS Code for the code lenses of the visible manuscripts again, as workspace/codeLens/refresh would. */
  function refreshCodeLenses(): void {
    if (lc.state !== State.Running) return;
    const feature = lc.getFeature(CodeLensRequest.method);
    for (const editor of vscode.window.visibleTextEditors) feature?.getProvider(editor.document)?.onDidChangeCodeLensEmitter.fire();
  }

  function manuscript(): vscode.TextEditor | undefined {
    const e = vscode.window.activeTextEditor;
    if (e && e.document.uri.scheme === 'file' && (e.document.languageId === 'markdown' || e.document.languageId === 'plaintext'))
      return e;
    void vscode.window.showWarningMessage('Recurrent: open a Markdown or text manuscript first.');
    return undefined;
  }

  async function refreshStatus(): Promise<void> {
    const e = vscode.window.activeTextEditor;
    if (!e || e.document.uri.scheme !== 'file' || lc.state !== State.Running) return;
    try {
      const s = await lc.sendRequest<StoryState>(kStoryState, { uri: e.document.uri.toString() });
      showStatus({
        state: s.busy ? 'writing' : 'idle',
        ...(s.provider !== undefined ? { provider: s.provider } : {}),
        ...(s.model !== undefined ? { model: s.model } : {}),
        ...(s.counts?.memoryEntries !== undefined ? { memoryEntries: s.counts.memoryEntries } : {}),
      }, s.bibleFile === true);
      await showStory(s);
    } catch (err) {
      output.debug(`storyState: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The Story view alone, for a manuscript in front (the status bar keeps what the server last said). */
  async function refreshStory(): Promise<void> {
    const e = vscode.window.activeTextEditor;
    if (!e || e.document.uri.scheme !== 'file' || lc.state !== State.Running) return;
    await showStory(await lc.sendRequest<StoryState>(kStoryState, { uri: e.document.uri.toString() }).catch(() => undefined));
  }

  /** The Story view shows `state`; its welcome offers Adopt to a manuscript only, a bible entry gets its own text. */
  async function showStory(state: StoryState | undefined): Promise<void> {
    story.show(state);
    await vscode.commands.executeCommand('setContext', 'recurrent.bibleEntryInFront', state?.bibleFile === true);
  }

  async function continueWith(editor: vscode.TextEditor, action: PlanAction | undefined, text: string): Promise<void> {
    const uri = editor.document.uri.toString();
    const pos = editor.selection.active;
    const args = action
      ? continueArguments(uri, { line: pos.line, character: pos.character }, action, text)
      : { uri, position: { line: pos.line, character: pos.character } };
    const result = await runCommand<{ step?: number; words?: number }>('recurrent.continue', args);
    if (result) vscode.window.setStatusBarMessage(`Recurrent: step ${result.step ?? '?'}, ${result.words ?? '?'} words`, 5000);
    await refreshStatus();
  }

  async function choosePlan(editor: vscode.TextEditor, plans?: string[]): Promise<void> {
    const uri = editor.document.uri.toString();
    const current = plans ?? (await storyState(uri).catch(() => undefined))?.plans;
    const picked = await vscode.window.showQuickPick(planItems(current), {
      title: 'Recurrent: choose the plan for the next paragraph',
      placeHolder: 'Pick a plan, then edit it before writing',
      matchOnDetail: true,
    });
    if (!picked) return;
    if (picked.action.kind === 'editAll') {
      await vscode.commands.executeCommand('recurrent.ui.editPlans');
      return;
    }
    if (picked.action.kind === 'suggest') {
      const r = await runCommand<{ plans?: string[] }>('recurrent.suggestPlans', { uri });
      if (r?.plans) await choosePlan(editor, r.plans);
      return;
    }
    const initial = picked.action.kind === 'plan' ? picked.action.plan : '';
    const text = await vscode.window.showInputBox({
      title: 'Recurrent: plan for the next paragraph',
      prompt: 'Edit the plan if you like, then press Enter to write the paragraph.',
      value: initial,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'A plan cannot be empty.'),
    });
    if (text === undefined) return;
    await continueWith(editor, picked.action, text);
  }

  async function newStory(): Promise<void> {
    const genre = await vscode.window.showInputBox({ title: 'New story (1/4): genre', placeHolder: 'science fiction', ignoreFocusOut: true });
    if (!genre) return;
    const topic = await vscode.window.showInputBox({ title: 'New story (2/4): topic', placeHolder: 'a lighthouse keeper who finds a radio from the future', ignoreFocusOut: true });
    if (!topic) return;
    const premise = await vscode.window.showInputBox({ title: 'New story (3/4): premise (optional)', ignoreFocusOut: true });
    if (premise === undefined) return;
    const language = await vscode.window.showInputBox({
      title: 'New story (4/4): language (optional)',
      value: current.language,
      placeHolder: 'English',
      ignoreFocusOut: true,
    });
    if (language === undefined) return;
    // The story goes into the active manuscript when it is empty, else into a new file the writer names.
    let doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.uri.scheme !== 'file' || doc.getText().trim() !== '') {
      const target = await vscode.window.showSaveDialog({
        title: 'Recurrent: where should the new story go?',
        filters: { Markdown: ['md'], Text: ['txt'] },
        ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'story.md') } : {}),
      });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, new Uint8Array());
      doc = await vscode.workspace.openTextDocument(target);
    }
    await vscode.window.showTextDocument(doc);
    const args: Record<string, unknown> = { uri: doc.uri.toString(), genre, topic };
    if (premise.trim()) args.premise = premise.trim();
    if (language.trim()) args.language = language.trim();
    const r = await runCommand<{ title?: string }>('recurrent.newStory', args);
    if (r) void vscode.window.showInformationMessage(`Recurrent: started "${r.title ?? 'a new story'}".`);
    await refreshStatus();
  }

  /**
   * Recurrent: Search Memory: the server's `workspace/symbol` answers (paragraphs found by meaning) in a quick
   * pick that shows them as ranked; VS Code's own symbol picker would filter them by the literal words.
   */
  async function searchMemory(): Promise<void> {
    const c = await ensureRunning();
    const pick = vscode.window.createQuickPick<MemoryItem>();
    pick.title = 'Recurrent: Search Memory';
    const hint = 'Ask about the story, e.g. "where does Mara first hear the radio?"';
    pick.placeholder = hint;
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    let search: vscode.CancellationTokenSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (query: string): Promise<void> => {
      search?.cancel();
      const mine = (search = new vscode.CancellationTokenSource());
      if (!query.trim()) {
        pick.items = [];
        pick.busy = false;
        return;
      }
      pick.busy = true;
      try {
        const symbols = await c.sendRequest<MemorySymbol[] | null>('workspace/symbol', { query }, mine.token);
        if (mine.token.isCancellationRequested) return;
        pick.items = memoryItems(symbols);
        pick.placeholder = pick.items.length ? hint : 'Nothing in the memory of the open manuscripts matches.';
      } catch (e) {
        if (!(e instanceof ResponseError && e.code === kRequestCancelled)) output.warn(`workspace/symbol: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        if (search === mine) pick.busy = false;
      }
    };
    pick.onDidChangeValue((value) => {
      if (timer) clearTimeout(timer);
      // Each answer is a memory search on the server: wait until the writer pauses typing.
      timer = setTimeout(() => void run(value), 300);
    });
    pick.onDidAccept(async () => {
      const item = pick.selectedItems[0];
      if (!item) return;
      pick.hide();
      const at = new vscode.Position(item.line, item.character);
      await vscode.window.showTextDocument(vscode.Uri.parse(item.uri), { selection: new vscode.Range(at, at) });
      vscode.window.activeTextEditor?.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    });
    pick.onDidHide(() => {
      if (timer) clearTimeout(timer);
      search?.cancel();
      pick.dispose();
    });
    pick.show();
  }

  /**
   * A manuscript opened for the first time that is not a story yet: one notification saying what to do (Adopt
   * a text, New Story in an empty file). Asked once per file; "Don't Ask Again" stops it everywhere.
   */
  const kOffered = 'recurrent.firstStepOffered';
  const kNeverOffer = 'recurrent.neverOfferFirstStep';
  async function offerFirstStep(editor: vscode.TextEditor): Promise<void> {
    const doc = editor.document;
    if (doc.uri.scheme !== 'file' || !(doc.languageId === 'markdown' || doc.languageId === 'plaintext')) return;
    if (current.autoAdopt || context.globalState.get<boolean>(kNeverOffer)) return;
    const uri = doc.uri.toString();
    const offered = context.workspaceState.get<string[]>(kOffered) ?? [];
    if (offered.includes(uri) || lc.state !== State.Running) return;
    const s = await lc.sendRequest<StoryState>(kStoryState, { uri }).catch(() => undefined);
    if (!s || s.adopted !== false) return;
    if (s.bibleFile || jobs.has(uri)) return; // a bible entry is the book's notes; a job already makes it a story (Make Book)
    await context.workspaceState.update(kOffered, [...offered, uri]);
    const empty = doc.getText().trim() === '';
    const name = path.basename(doc.uri.fsPath);
    const action = empty ? 'New Story' : 'Adopt';
    const pick = await vscode.window.showInformationMessage(
      empty
        ? `Recurrent: ${name} is empty. Start a new story here? Recurrent asks for a genre and a topic and writes the opening.`
        : `Recurrent: make ${name} a story? Adopt reads it once to build the memory and three plans for the next paragraph.`,
      action,
      "Don't Ask Again",
    );
    if (pick === action) {
      // The offer may have waited a while: by now the file may be a story (Make Book), or not in front.
      const now = await lc.sendRequest<StoryState>(kStoryState, { uri }).catch(() => undefined);
      if (now?.adopted !== false) return;
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand(empty ? 'recurrent.ui.newStory' : 'recurrent.ui.adopt');
    } else if (pick === "Don't Ask Again") await context.globalState.update(kNeverOffer, true);
  }

  // A failing command shows its reason as a notification (VS Code would show a modal dialog otherwise).
  const register = (id: string, fn: (...args: unknown[]) => Promise<unknown>): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await fn(...args);
        } catch (e) {
          void vscode.window.showErrorMessage(`Recurrent: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
  };
  register('recurrent.ui.newStory', newStory);
  register('recurrent.ui.adopt', async () => {
    const e = manuscript();
    if (!e) return;
    await e.document.save();
    const r = await runCommand<{ paragraphs?: number; plans?: string[] }>('recurrent.adopt', { uri: e.document.uri.toString() });
    if (r) {
      const pick = await vscode.window.showInformationMessage(
        `Recurrent: adopted ${r.paragraphs ?? 0} paragraphs; ${r.plans?.length ?? 0} plans are ready.`,
        'Choose Plan',
      );
      if (pick) await choosePlan(e, r.plans);
    }
    await refreshStatus();
  });
  register('recurrent.ui.makeBook', async () => {
    const e = manuscript();
    if (!e) return;
    await e.document.save();
    const r = await runCommand<{ paragraphs?: number }>('recurrent.makeBook', { uri: e.document.uri.toString() });
    if (r) void vscode.window.showInformationMessage(`Recurrent: this folder is a book now: ${r.paragraphs ?? 0} paragraphs in one memory.`);
    await refreshStatus();
    await refreshBook();
    await refreshBible();
  });
  register('recurrent.ui.checkContinuity', async () => {
    const e = manuscript();
    if (!e) return;
    const scopes = [
      ...(e.selection.isEmpty ? [] : [{ label: 'The selected paragraphs', scope: 'selection' }]),
      { label: 'This chapter', scope: 'chapter' },
      { label: 'This paragraph', scope: 'paragraph' },
      { label: 'The whole book', scope: 'book' },
    ];
    const pick = await vscode.window.showQuickPick(scopes, { placeHolder: 'Check which part against the bible and the memory?' });
    if (!pick) return;
    const at = (p: vscode.Position) => ({ line: p.line, character: p.character });
    const r = await runCommand<{ findings?: number; paragraphs?: number; fromCache?: number; offline?: boolean }>('recurrent.check', {
      uri: e.document.uri.toString(),
      scope: pick.scope,
      position: at(e.selection.active),
      range: { start: at(e.selection.start), end: at(e.selection.end) },
    });
    if (!r) return;
    const found = `${r.findings ?? 0} finding${r.findings === 1 ? '' : 's'}, in the Problems view`;
    void vscode.window.showInformationMessage(
      r.offline
        ? `Recurrent: the offline checks (names, dead characters, point of view) of the whole book: ${found}. Configure a model for the model's check.`
        : `Recurrent: checked ${r.paragraphs ?? 0} paragraphs (${r.fromCache ?? 0} unchanged since their last check): ${found}.`,
    );
  });
  register('recurrent.ui.newChapter', async () => {
    const e = manuscript();
    if (!e) return;
    const title = await vscode.window.showInputBox({ title: 'Recurrent: title of the new chapter (optional)', ignoreFocusOut: true });
    if (title === undefined) return;
    const args: Record<string, unknown> = { uri: e.document.uri.toString() };
    if (title.trim()) args.title = title.trim();
    const r = await runCommand<{ uri?: string }>('recurrent.newChapter', args);
    if (r?.uri) await vscode.window.showTextDocument(vscode.Uri.parse(r.uri)); // the server may have shown it already
    await refreshBook();
  });
  register('recurrent.ui.refreshBook', refreshBook);
  register('recurrent.ui.refreshBible', refreshBible);
  register('recurrent.ui.addBibleEntry', addBibleEntry);
  // The code lens on an entry heading ("14 mentions"): the references peek at that heading.
  context.subscriptions.push(
    vscode.commands.registerCommand('recurrent.bibleReferences', async (at?: { uri?: string; position?: { line: number; character: number } }) => {
      if (!at?.uri || !at.position) return;
      await vscode.commands.executeCommand(
        'editor.action.findReferences',
        vscode.Uri.parse(at.uri),
        new vscode.Position(at.position.line, at.position.character),
      );
    }),
  );

  /** Asks a name and a type, creates `<bible folder>/<slug>.md` and opens it below its heading. */
  async function addBibleEntry(): Promise<void> {
    const uri = activeFileUri();
    const folder = uri ? (await (await ensureRunning()).sendRequest<BibleAt>(kBibleAt, { uri })).folder : bible.folder;
    if (!folder) throw new Error('open a chapter of the story first: the bible belongs to its book');
    const name = (await vscode.window.showInputBox({ title: 'Add Bible Entry', prompt: `A name (the entry goes to ${folder})`, placeHolder: 'Mara Vell' }))?.trim();
    if (!name) return;
    const type = await vscode.window.showQuickPick([...kBibleTypes], { title: `Add Bible Entry: ${name}`, placeHolder: 'The type of the entry' });
    if (!type) return;
    const dir = vscode.Uri.file(folder);
    const file = vscode.Uri.joinPath(dir, `${entrySlug(name)}.md`);
    const exists = await vscode.workspace.fs.stat(file).then(() => true, () => false);
    if (exists) throw new Error(`${file.fsPath} already exists: open it, or choose another name`);
    await vscode.workspace.fs.createDirectory(dir);
    const text = entryFileText(name, type);
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(text));
    const end = new vscode.Position(text.split('\n').length - 1, 0);
    await vscode.window.showTextDocument(file, { selection: new vscode.Range(end, end) });
    await refreshBible();
  }
  register('recurrent.ui.continue', async () => {
    const e = manuscript();
    if (e) await continueWith(e, undefined, '');
  });
  register('recurrent.ui.choosePlan', async () => {
    const e = manuscript();
    if (e) await choosePlan(e);
  });
  register('recurrent.ui.suggestPlans', async () => {
    const e = manuscript();
    if (!e) return;
    const r = await runCommand<{ plans?: string[] }>('recurrent.suggestPlans', { uri: e.document.uri.toString() });
    if (r?.plans) await choosePlan(e, r.plans);
  });
  register('recurrent.ui.undoStep', async () => {
    const e = manuscript();
    if (!e) return;
    const r = await runCommand<{ step?: number }>('recurrent.undoStep', { uri: e.document.uri.toString() });
    if (r) void vscode.window.showInformationMessage(`Recurrent: memory restored to step ${r.step ?? 0}. Undo the text itself with Ctrl+Z.`);
    await refreshStatus();
  });
  register('recurrent.ui.showMemory', async () => {
    const e = manuscript();
    if (!e) return;
    const uri = e.document.uri;
    // Both in one group beside the manuscript, the editable short-term memory in front.
    const ltm = await vscode.workspace.openTextDocument(ViewProvider.uriFor(uri, 'memory'));
    const shown = await vscode.window.showTextDocument(ltm, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    const stm = await vscode.workspace.openTextDocument(MemoryFileSystem.uriFor(uri, 'short-term'));
    await vscode.window.showTextDocument(stm, { viewColumn: shown.viewColumn ?? vscode.ViewColumn.Beside, preview: false });
  });
  register('recurrent.ui.continueWithPlan', async (planIndex: unknown) => {
    const e = manuscript();
    if (!e) return;
    const index = Number(planIndex);
    const plan = (await storyState(e.document.uri.toString()).catch(() => undefined))?.plans?.[index];
    if (plan !== undefined) await continueWith(e, { kind: 'plan', planIndex: index, plan }, plan);
  });
  /** The manuscript's editable short-term memory or plans, beside it. */
  async function editBeside(kind: 'short-term' | 'plans'): Promise<void> {
    const e = manuscript();
    if (!e) return;
    const doc = await vscode.workspace.openTextDocument(MemoryFileSystem.uriFor(e.document.uri, kind));
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  }
  register('recurrent.ui.editShortTermMemory', () => editBeside('short-term'));
  register('recurrent.ui.editPlans', () => editBeside('plans'));
  register('recurrent.ui.showLastPrompt', async () => {
    const e = manuscript();
    if (!e) return;
    const view = ViewProvider.uriFor(e.document.uri, 'prompt');
    views.refresh(view);
    const doc = await vscode.workspace.openTextDocument(view);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  });
  register('recurrent.ui.ghostText', async () => {
    if (manuscript()) await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  });
  register('recurrent.ui.cancel', async () => {
    if (jobs.size === 0) {
      vscode.window.setStatusBarMessage('Recurrent: nothing to cancel', 3000);
      return;
    }
    for (const source of jobs.values()) source.cancel();
  });
  register('recurrent.ui.searchMemory', searchMemory);
  register('recurrent.restartServer', restartServer);
  register('recurrent.setApiKey', async () => {
    const key = await vscode.window.showInputBox({
      title: 'Recurrent: API key',
      prompt: 'Stored in VS Code\'s secret storage and passed to the server as RECURRENT_API_KEY; never written to settings.',
      password: true,
      ignoreFocusOut: true,
    });
    if (!key) return;
    await context.secrets.store(kSecretKey, key.trim());
    await restartServer();
    void vscode.window.showInformationMessage('Recurrent: API key saved; the server restarted with it.');
  });
  register('recurrent.clearApiKey', async () => {
    await context.secrets.delete(kSecretKey);
    await restartServer();
    void vscode.window.showInformationMessage('Recurrent: API key removed; the server restarted without it.');
  });

  context.subscriptions.push(
    // A key changed elsewhere (another window) also restarts the server, unless it already runs with it.
    context.secrets.onDidChange(async (e) => {
      if (e.key !== kSecretKey) return;
      const key = await context.secrets.get(kSecretKey);
      await restarting;
      if (key !== startedWithKey && lc.state !== State.Stopped) await restartServer();
    }),
    // Backend settings restart the server, once the writer stops typing (the Settings UI saves every key
    // stroke); the others reach the running server as didChangeConfiguration.
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('recurrent')) return;
      const next = settings();
      const restart = needsRestart(current, next);
      current = next;
      if (restart || restartTimer) {
        if (restartTimer) clearTimeout(restartTimer);
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          if (lc.state !== State.Stopped) void restartServer();
        }, kRestartDelayMs);
        return;
      }
      if (lc.state !== State.Running) return; // a server that starts pulls the settings itself
      try {
        await lc.sendNotification(DidChangeConfigurationNotification.type, { settings: { recurrent: serverConfiguration(next) } });
      } catch (err) {
        output.warn(`didChangeConfiguration: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
    vscode.window.onDidChangeActiveTextEditor((e) => {
      void refreshStatus();
      void refreshBook();
      void refreshBible();
      if (e) void offerFirstStep(e);
    }),
    // Closing the tab a paragraph streams into cancels it: nothing is written into a closed file or committed,
    // and a file saved mid-stream gets its text back once the job is over (runJob).
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      for (const tab of e.closed) {
        if (!(tab.input instanceof vscode.TabInputText)) continue;
        const uri = tab.input.uri.toString();
        const job = jobs.get(uri);
        if (!job || hasOpenTab(uri)) continue;
        tabClosed.add(job);
        job.cancel();
      }
    }),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (d.uri.scheme === kMemoryScheme) void refreshStatus();
    }),
  );

  try {
    await lc.start();
    await refreshStatus();
    await refreshBook();
    await refreshBible();
    if (vscode.window.activeTextEditor) void offerFirstStep(vscode.window.activeTextEditor);
  } catch (e) {
    output.error(`the server did not start: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
