// Text edits as an editor applies them, in UTF-16 positions (as JavaScript strings index): shared by the tests.

/** UTF-16 offset of an LSP position. */
export function offsetAt(text, { line, character }) {
  let at = 0;
  for (let l = 0; l < line; l++) at = text.indexOf('\n', at) + 1;
  return at + character;
}

/** `text` with LSP TextEdits applied (from the last to the first, so earlier ranges stay valid). */
export function applyEdits(text, edits) {
  const sorted = [...edits].sort((a, b) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start));
  for (const e of sorted) text = text.slice(0, offsetAt(text, e.range.start)) + e.newText + text.slice(offsetAt(text, e.range.end));
  return text;
}
