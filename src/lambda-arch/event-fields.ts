/**
 * Reads a few top-level fields of one JSON line without building the rest of the event: the batch
 * mapper's fast path for views that declare the fields their code reads. Master-dataset lines are
 * JSON objects the archiver has already parsed, so the scanner only finds where each value ends;
 * anything it does not read with certainty (an escaped key, a line that is not a plain object)
 * answers undefined, and the caller parses the line with JSON.parse.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The fields of `line` named in `wanted`, as JSON.parse(line) holds them (the last of duplicate keys
 * wins, nested objects are not searched, absent fields stay absent), or undefined when the line is
 * not a JSON object this scanner reads whole.
 */
export function pickFields(line: string, wanted: ReadonlySet<string>): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  let i = skipSpace(line, 0);
  if (line.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(line, i + 1);
  if (line.charCodeAt(i) === CLOSE_BRACE) return onlySpace(line, i + 1) ? fields : undefined;
  for (;;) {
    if (line.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = line.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    const key = line.slice(i + 1, keyEnd);
    if (key.includes('\\')) return undefined;
    i = skipSpace(line, keyEnd + 1);
    if (line.charCodeAt(i) !== COLON) return undefined;
    i = skipSpace(line, i + 1);
    const start = i;
    if (line.charCodeAt(i) === QUOTE) {
      const end = stringEnd(line, i);
      if (end < 0) return undefined;
      i = end + 1;
      if (wanted.has(key)) {
        const raw = line.slice(start + 1, end);
        fields[key] = raw.includes('\\') ? JSON.parse(line.slice(start, i)) : raw;
      }
    } else {
      i = valueEnd(line, i);
      if (i < 0) return undefined;
      if (wanted.has(key)) fields[key] = JSON.parse(line.slice(start, i));
    }
    i = skipSpace(line, i);
    const next = line.charCodeAt(i);
    if (next === CLOSE_BRACE) return onlySpace(line, i + 1) ? fields : undefined;
    if (next !== COMMA) return undefined;
    i = skipSpace(line, i + 1);
  }
}

/** The index of the quote closing the string that opens at `open`, or -1. */
function stringEnd(line: string, open: number): number {
  let at = line.indexOf('"', open + 1);
  while (at >= 0) {
    let slashes = 0;
    while (line.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
    at = line.indexOf('"', at + 1);
  }
  return -1;
}

/** The index just past the number, literal, object or array starting at `from`, or -1. */
function valueEnd(line: string, from: number): number {
  let depth = 0;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(line, i);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === COMMA || isSpace(c))) {
      return i;
    }
  }
  return depth === 0 ? line.length : -1;
}

function skipSpace(line: string, from: number): number {
  let i = from;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return i;
}

function onlySpace(line: string, from: number): boolean {
  return skipSpace(line, from) === line.length;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
