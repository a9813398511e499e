// The `recurrent.*` settings and how they reach the server: as its environment at start and through
// `workspace/configuration` afterwards.
//
// Pure functions (no `vscode` import) so they run under node:test.

/** The typed view of the `recurrent` configuration section. */
export interface RecurrentSettings {
  provider: 'auto' | 'openai' | 'anthropic' | 'offline';
  baseUrl: string;
  model: string;
  embedModel: string;
  topK: number;
  temperature: number;
  contextTokens: number;
  language: string;
  streaming: boolean;
  /** Ghost text whenever the cursor rests after a paragraph (a model call each time); off: only when asked. */
  automaticGhostText: boolean;
  /** When a step's paragraph is undone in the editor: ask to undo the step in the memory, always, or never. */
  undoStepWithText: 'ask' | 'always' | 'never';
  /** Opening a file with no story state adopts it (off: only Adopt / New Story make a story). */
  autoAdopt: boolean;
  /** Summarising more new paragraphs than this with a paid model asks first (0: never asks). */
  confirmSummariesAbove: number;
  /** The cost question is asked for a model on this machine too. */
  confirmLocal: boolean;
  /** The story bible's share of each prompt, 0..1. */
  bibleShare: number;
  checkAfterStep: boolean;
  /** With a model, a saved story chapter gets the continuity check of its changed passages. */
  checkOnSave: boolean;
  serverPath: string;
  trace: 'off' | 'messages' | 'verbose';
}

export const kDefaults: RecurrentSettings = {
  provider: 'auto',
  baseUrl: '',
  model: '',
  embedModel: '',
  topK: 3,
  temperature: 0.7,
  contextTokens: 8192,
  language: '',
  streaming: true,
  automaticGhostText: false,
  undoStepWithText: 'ask',
  autoAdopt: false,
  confirmSummariesAbove: 40,
  confirmLocal: false,
  bibleShare: 0.25,
  checkAfterStep: true,
  checkOnSave: false,
  serverPath: '',
  trace: 'off',
};

/** Reads the section through `get(key)` (e.g. `WorkspaceConfiguration.get`), falling back to defaults on bad types. */
export function readSettings(get: (key: string) => unknown): RecurrentSettings {
  const str = (key: string, fallback: string): string => {
    const v = get(key);
    return typeof v === 'string' ? v.trim() : fallback;
  };
  const num = (key: string, fallback: number): number => {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  };
  const provider = str('provider', kDefaults.provider);
  const trace = str('trace.server', kDefaults.trace);
  const streaming = get('streaming');
  const automatic = get('automaticGhostText');
  const undo = str('undoStepWithText', kDefaults.undoStepWithText);
  const autoAdopt = get('autoAdopt');
  const checkAfterStep = get('checkAfterStep');
  const confirmLocal = get('confirmLocal');
  const checkOnSave = get('checkOnSave');
  return {
    provider: provider === 'openai' || provider === 'anthropic' || provider === 'offline' ? provider : 'auto',
    baseUrl: str('baseUrl', kDefaults.baseUrl),
    model: str('model', kDefaults.model),
    embedModel: str('embedModel', kDefaults.embedModel),
    topK: Math.round(num('topK', kDefaults.topK)),
    temperature: num('temperature', kDefaults.temperature),
    contextTokens: Math.round(num('contextTokens', kDefaults.contextTokens)),
    language: str('language', kDefaults.language),
    streaming: typeof streaming === 'boolean' ? streaming : kDefaults.streaming,
    automaticGhostText: typeof automatic === 'boolean' ? automatic : kDefaults.automaticGhostText,
    undoStepWithText: undo === 'always' || undo === 'never' ? undo : 'ask',
    autoAdopt: typeof autoAdopt === 'boolean' ? autoAdopt : kDefaults.autoAdopt,
    confirmSummariesAbove: Math.max(0, Math.round(num('confirmSummariesAbove', kDefaults.confirmSummariesAbove))),
    confirmLocal: typeof confirmLocal === 'boolean' ? confirmLocal : kDefaults.confirmLocal,
    bibleShare: Math.min(1, Math.max(0, num('bibleShare', kDefaults.bibleShare))),
    checkAfterStep: typeof checkAfterStep === 'boolean' ? checkAfterStep : kDefaults.checkAfterStep,
    checkOnSave: typeof checkOnSave === 'boolean' ? checkOnSave : kDefaults.checkOnSave,
    serverPath: str('server.path', kDefaults.serverPath),
    trace: trace === 'messages' || trace === 'verbose' ? trace : 'off',
  };
}

/**
 * What the server gets for `workspace/configuration` section `recurrent`: the settings it reads, with
 * "unset" values (empty strings, provider `auto`) left out so the server applies its own defaults.
 * Client-only settings (server path, trace) are not sent.
 */
export function serverConfiguration(s: RecurrentSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {
    topK: s.topK,
    temperature: s.temperature,
    contextTokens: s.contextTokens,
    streaming: s.streaming,
    automaticGhostText: s.automaticGhostText,
    undoStepWithText: s.undoStepWithText,
    autoAdopt: s.autoAdopt,
    confirmSummariesAbove: s.confirmSummariesAbove,
    confirmLocal: s.confirmLocal,
    bibleShare: s.bibleShare,
    checkAfterStep: s.checkAfterStep,
    checkOnSave: s.checkOnSave,
  };
  if (s.provider !== 'auto') out.provider = s.provider;
  if (s.baseUrl) out.baseUrl = s.baseUrl;
  if (s.model) out.model = s.model;
  if (s.embedModel) out.embedModel = s.embedModel;
  if (s.language) out.language = s.language;
  return out;
}

/**
 * The server process's environment: the editor's own, with the backend settings and the API key in the
 * variables `recurrent` reads at start (DESIGN.md: same names as the settings). Variables the settings
 * leave unset are inherited, so `RECURRENT_BASE_URL` exported in a shell still works; the key from
 * SecretStorage wins over an inherited one.
 */
export function serverEnvironment(
  s: RecurrentSettings,
  apiKey: string | undefined,
  base: Record<string, string | undefined>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (s.provider !== 'auto') env.RECURRENT_PROVIDER = s.provider;
  if (s.baseUrl) env.RECURRENT_BASE_URL = s.baseUrl;
  if (s.model) env.RECURRENT_MODEL = s.model;
  if (s.embedModel) env.RECURRENT_EMBED_MODEL = s.embedModel;
  if (apiKey) env.RECURRENT_API_KEY = apiKey;
  return env;
}

/** Settings whose change needs a new server process (the others reach it through didChangeConfiguration). */
export function needsRestart(before: RecurrentSettings, after: RecurrentSettings): boolean {
  return (
    before.serverPath !== after.serverPath ||
    before.provider !== after.provider ||
    before.baseUrl !== after.baseUrl ||
    before.model !== after.model ||
    before.embedModel !== after.embedModel
  );
}

export interface ServerCommand {
  command: string;
  /** Where it came from, for messages: the setting, the copy bundled in the extension, PATH, or nowhere. */
  source: 'setting' | 'bundled' | 'path' | 'missing';
}

/**
 * The executable to start: the `recurrent.server.path` setting, else the bundled binary, else `recurrent` on
 * PATH (`pathEnv`, searched with `exists`); `missing` when none of them is there.
 */
export function resolveServerCommand(
  settingPath: string,
  bundledPath: string,
  pathEnv: string | undefined,
  exists: (path: string) => boolean,
): ServerCommand {
  if (settingPath) return { command: settingPath, source: exists(settingPath) ? 'setting' : 'missing' };
  if (exists(bundledPath)) return { command: bundledPath, source: 'bundled' };
  for (const dir of (pathEnv ?? '').split(':')) {
    if (!dir) continue;
    const candidate = `${dir.replace(/\/+$/, '')}/recurrent`;
    if (exists(candidate)) return { command: candidate, source: 'path' };
  }
  return { command: 'recurrent', source: 'missing' };
}
