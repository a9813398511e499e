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
  state: 'idle' | 'indexing' | 'writing';
  provider?: string;
  model?: string;
  memoryEntries?: number;
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
  budget?: { limit?: number; used?: number; trimmed?: unknown[] };
}

export const kStoryState = 'recurrent/storyState';
export const kLastPrompt = 'recurrent/lastPrompt';
export const kStatus = 'recurrent/status';
export const kBookOutline = 'recurrent/bookOutline';
