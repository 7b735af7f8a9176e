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

/**
 * pickFields over the bytes of one line (UTF-8, bytes[start, end), no newline), for fields whose
 * values the caller reads as bytes: sets out[2i], out[2i + 1] to where the raw text of `names[i]`'s
 * string value lies (between its quotes; -1, -1 when the field is absent; the last of duplicate keys
 * wins) and answers true, when the line is an object pickFields reads whole and every named field
 * present holds a string of ASCII without escapes (so its raw bytes are its text). Answers false
 * otherwise (out is then unspecified): the caller reads that line as a string instead. `names` are
 * the fields' UTF-8 bytes; keys are compared byte for byte (a key with an escape answers false).
 */
export function fieldRangesOf(
  bytes: Uint8Array,
  start: number,
  end: number,
  names: readonly Uint8Array[],
  out: Int32Array,
): boolean {
  out.fill(-1, 0, 2 * names.length);
  let i = skipSpaceBytes(bytes, start, end);
  if (bytes[i] !== OPEN_BRACE || i >= end) return false;
  i = skipSpaceBytes(bytes, i + 1, end);
  if (i < end && bytes[i] === CLOSE_BRACE) return skipSpaceBytes(bytes, i + 1, end) === end;
  for (;;) {
    if (i >= end || bytes[i] !== QUOTE) return false;
    const keyStart = i + 1;
    const keyEnd = bytes.indexOf(QUOTE, keyStart);
    if (keyEnd < 0 || keyEnd >= end) return false;
    const field = fieldNamed(bytes, keyStart, keyEnd, names);
    if (field === -2) return false;
    i = skipSpaceBytes(bytes, keyEnd + 1, end);
    if (i >= end || bytes[i] !== COLON) return false;
    i = skipSpaceBytes(bytes, i + 1, end);
    if (i >= end) return false;
    if (bytes[i] === QUOTE) {
      const close = plainStringEnd(bytes, i + 1, end);
      if (close >= 0) {
        if (field >= 0) {
          out[2 * field] = i + 1;
          out[2 * field + 1] = close;
        }
        i = close + 1;
      } else {
        // Escaped or past ASCII: fine to skip, not to read as bytes.
        if (field >= 0) return false;
        i = stringEndBytes(bytes, i, end);
        if (i < 0) return false;
        i++;
      }
    } else {
      if (field >= 0) return false;
      i = valueEndBytes(bytes, i, end);
      if (i < 0) return false;
    }
    i = skipSpaceBytes(bytes, i, end);
    if (i >= end) return false;
    const next = bytes[i];
    if (next === CLOSE_BRACE) return skipSpaceBytes(bytes, i + 1, end) === end;
    if (next !== COMMA) return false;
    i = skipSpaceBytes(bytes, i + 1, end);
  }
}

/** Which of `names` the key bytes[from, to) is: its index, -1 for none, -2 for a key with an escape. */
function fieldNamed(bytes: Uint8Array, from: number, to: number, names: readonly Uint8Array[]): number {
  for (let k = from; k < to; k++) if (bytes[k] === BACKSLASH) return -2;
  outer: for (let n = 0; n < names.length; n++) {
    const name = names[n] as Uint8Array;
    if (name.length !== to - from) continue;
    for (let k = 0; k < name.length; k++) if (name[k] !== bytes[from + k]) continue outer;
    return n;
  }
  return -1;
}

/** The index of the quote closing a string whose text starts at `from`, when it is ASCII without escapes; else -1. */
function plainStringEnd(bytes: Uint8Array, from: number, end: number): number {
  for (let k = from; k < end; k++) {
    const c = bytes[k] as number;
    if (c === QUOTE) return k;
    if (c === BACKSLASH || c >= 0x80) return -1;
  }
  return -1;
}

/** stringEnd over bytes (UTF-8 never puts a quote or backslash byte inside a longer character). */
function stringEndBytes(bytes: Uint8Array, open: number, end: number): number {
  for (let k = open + 1; k < end; k++) {
    const c = bytes[k];
    if (c === BACKSLASH) k++;
    else if (c === QUOTE) return k;
  }
  return -1;
}

/** valueEnd over bytes. */
function valueEndBytes(bytes: Uint8Array, from: number, end: number): number {
  let depth = 0;
  for (let k = from; k < end; k++) {
    const c = bytes[k] as number;
    if (c === QUOTE) {
      k = stringEndBytes(bytes, k, end);
      if (k < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return k;
      depth--;
      if (depth === 0) return k + 1;
    } else if (depth === 0 && (c === COMMA || isSpace(c))) {
      return k;
    }
  }
  return depth === 0 ? end : -1;
}

function skipSpaceBytes(bytes: Uint8Array, from: number, end: number): number {
  let k = from;
  while (k < end && isSpace(bytes[k] as number)) k++;
  return k;
}
