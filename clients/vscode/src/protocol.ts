// The shapes of recurrent's custom LSP messages (docs/LSP.md), as the client reads them.
//
// Types only; the server owns their meaning.

export interface StoryCounts {
  paragraphs: number;
  memoryEntries: number;
  words: number;
  chapters: number;
}

/** `recurrent/storyState` result. */
export interface StoryState {
  /** false: the file is not a story yet (opt-in); the rest is then only counts. */
  adopted?: boolean;
  title?: string;
  genre?: string;
  language?: string;
  mode?: string;
  step?: number;
  shortTermMemory?: string;
  rationale?: string;
  plans?: string[];
  outline?: string;
  counts?: Partial<StoryCounts>;
  provider?: string;
  model?: string;
  offline?: boolean;
  busy?: boolean;
  indexing?: boolean;
  readOnly?: boolean;
  readOnlyReason?: string;
  /** An entry file of a story bible: the book's notes, never offered for adoption. */
  bibleFile?: boolean;
  statePath?: string;
  book?: BookOutline;
}

/** A book's chapters (`book` in `recurrent/storyState`; `recurrent/bookOutline` adds each `summary`). */
export interface BookOutline {
  root: string;
  folder: boolean;
  chapters: { uri: string; file: string; title: string; paragraphs?: number; words?: number; summary?: string }[];
}

/** `recurrent/status` notification parameters. */
export interface StatusParams {
  uri?: string;
  /** `updating`: the paragraph is written, the model still streams the memory and the plans. */
  state: 'idle' | 'indexing' | 'writing' | 'updating' | 'checking';
  provider?: string;
  model?: string;
  memoryEntries?: number;
  step?: number;
  message?: string;
}

/** `recurrent/lastPrompt` result (null before the first call). */
export interface LastPrompt {
  task?: string;
  messages?: { role: string; content: string }[];
  answer?: string;
  /** A reasoning model's thinking, kept apart from the answer. */
  reasoning?: string;
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  budget?: { limit?: number; used?: number; reservedForAnswer?: number; included?: BudgetItem[]; trimmed?: BudgetItem[] };
  /** The story bible's entries in the prompt, with why each came in, and the candidates left out. */
  bible?: { included?: { name: string; reason?: string; tokens?: number }[]; leftOut?: { name: string; reason?: string; why?: string }[] };
}

/** One source of a prompt in its token budget (docs/LSP.md, recurrent/lastPrompt). */
export interface BudgetItem {
  kind?: string;
  label?: string;
  tokens?: number;
  truncated?: boolean;
  reason?: string;
  cutReason?: string;
}

export const kStoryState = 'recurrent/storyState';
export const kLastPrompt = 'recurrent/lastPrompt';
export const kStatus = 'recurrent/status';
export const kBookOutline = 'recurrent/bookOutline';

/** An LSP range (0-based lines, UTF-16 characters). */
export interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** One entry of the story bible as true at a point (`recurrent/bibleAt`). */
export interface BibleEntry {
  name: string;
  type: string;
  aliases: string[];
  include: string;
  description: string;
  details: { key: string; value: string }[];
  facts: { text: string; file: string; line: number }[];
  mentions: number;
  location: { uri: string; range: Range };
  first?: { uri: string; range: Range };
}

/** `recurrent/bibleAt` result: the bible folder (even before it exists), the entries, those named here. */
export interface BibleAt {
  folder: string;
  here: string[];
  entries: BibleEntry[];
}

export const kBibleAt = 'recurrent/bibleAt';
