// Which of the server's code actions VS Code shows, and how they are labelled.
//
// The server offers "continue with plan N" wherever it is asked; VS Code asks on every cursor move to draw
// its lightbulb, so a lightbulb would sit on every line. Here: offered on their own only where the next
// paragraph goes (the last paragraph and below) and on a `<!-- plan: -->` comment; everywhere on Ctrl+.
// Pure functions (no `vscode` import) so they run under node:test.

/** The kind the extension gives the server's actions: VS Code lists them apart from "Rewrite". */
export const kRecurrentActionKind = 'recurrent';

/**
 * Whether the actions are shown at `line` of a document of `lineCount` lines read through `lineAt`: always
 * when the writer asked (Ctrl+.), else on a plan comment or from the last paragraph of the text down.
 */
export function offerActionsAt(lineCount: number, lineAt: (i: number) => string, line: number, askedFor: boolean): boolean {
  if (askedFor) return true;
  if (line < lineCount && /<!--\s*plan\b/i.test(lineAt(line))) return true;
  let last = lineCount - 1;
  while (last >= 0 && lineAt(last).trim() === '') last--;
  let paragraphStart = last;
  while (paragraphStart > 0 && lineAt(paragraphStart - 1).trim() !== '') paragraphStart--;
  return line >= Math.max(0, paragraphStart);
}

/** "Continue: …" → "Recurrent: continue: …" (no doubled prefix): the menu says whose actions these are. */
export function actionTitle(title: string): string {
  if (/^recurrent:/i.test(title)) return title;
  return `Recurrent: ${title.charAt(0).toLowerCase()}${title.slice(1)}`;
}
