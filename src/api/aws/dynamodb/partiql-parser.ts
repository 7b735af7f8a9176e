/**
 * A parser for the small PartiQL subset lambdata answers:
 *   SELECT * | a, b FROM "t"[."index"] [WHERE …]
 *   INSERT INTO "t" VALUE { 'a': … }
 *   UPDATE "t" SET a = … [, b = …] [REMOVE c [, d]] WHERE …
 *   DELETE FROM "t" WHERE …
 * WHERE is terms joined by AND: `a = v`, `a <> v`, `a < v` (<=, >, >=), `a BETWEEN v AND w`,
 * `begins_with(a, v)`. Values are `?` parameters or literals ('text', numbers, TRUE/FALSE, NULL,
 * { 'k': v }, [v, …], <<v, …>>). Anything else is a ValidationException naming what is unsupported.
 */
import { type AttributeValue, ValidationError } from '../../../storage/tables/index.js';

/** A value in a statement: a literal, the n-th `?` parameter, or a map or list holding either. */
export type Value =
  | { literal: AttributeValue }
  | { parameter: number }
  | { map: Record<string, Value> }
  | { list: Value[] };

/** One term of a WHERE clause. */
export interface Term {
  attribute: string;
  op: '=' | '<>' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with';
  values: Value[];
}

/** A parsed statement. */
export type Statement =
  | { kind: 'SELECT'; table: string; index?: string; attributes?: string[]; where: Term[] }
  | { kind: 'INSERT'; table: string; item: Value }
  | { kind: 'UPDATE'; table: string; set: Array<{ attribute: string; value: Value }>; remove: string[]; where: Term[] }
  | { kind: 'DELETE'; table: string; where: Term[] };

interface Token {
  type: 'word' | 'quoted' | 'string' | 'number' | 'symbol';
  text: string;
}

const SYMBOLS = [
  '<<',
  '>>',
  '<>',
  '<=',
  '>=',
  '!=',
  '=',
  '<',
  '>',
  ',',
  '.',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ':',
  '?',
  '*',
];
const COMPARISONS = ['=', '<>', '<', '<=', '>', '>='] as const;

/** Parses one statement. @throws ValidationError naming the unsupported or malformed part. */
export function parseStatement(text: string): Statement {
  return new Parser(tokenize(text)).statement();
}

class Parser {
  #tokens: Token[];
  #at = 0;
  #parameters = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  statement(): Statement {
    const verb = this.#keyword();
    let statement: Statement;
    switch (verb) {
      case 'SELECT':
        statement = this.#select();
        break;
      case 'INSERT': {
        this.#expectKeyword('INTO');
        const table = this.#name();
        this.#expectKeyword('VALUE');
        statement = { kind: 'INSERT', table, item: this.#value() };
        break;
      }
      case 'UPDATE':
        statement = this.#update();
        break;
      case 'DELETE':
        this.#expectKeyword('FROM');
        statement = { kind: 'DELETE', table: this.#name(), where: this.#where() };
        break;
      default:
        throw unsupported(`statements starting with ${verb}`);
    }
    const rest = this.#peek();
    if (rest) throw unsupported(`'${rest.text}' at this position`);
    return statement;
  }

  #select(): Statement {
    let attributes: string[] | undefined;
    if (this.#accept('*')) attributes = undefined;
    else {
      attributes = [this.#attribute()];
      while (this.#accept(',')) attributes.push(this.#attribute());
    }
    this.#expectKeyword('FROM');
    const table = this.#name();
    const index = this.#accept('.') ? this.#name() : undefined;
    return {
      kind: 'SELECT',
      table,
      ...(index ? { index } : {}),
      ...(attributes ? { attributes } : {}),
      where: this.#peekKeyword('WHERE') ? this.#where() : [],
    };
  }

  #update(): Statement {
    const table = this.#name();
    const set: Array<{ attribute: string; value: Value }> = [];
    const remove: string[] = [];
    for (;;) {
      if (this.#peekKeyword('SET')) {
        this.#keyword();
        do {
          const attribute = this.#attribute();
          this.#expect('=');
          set.push({ attribute, value: this.#value() });
        } while (this.#accept(','));
      } else if (this.#peekKeyword('REMOVE')) {
        this.#keyword();
        do remove.push(this.#attribute());
        while (this.#accept(','));
      } else break;
    }
    if (set.length === 0 && remove.length === 0) throw unsupported('an UPDATE without SET or REMOVE');
    return { kind: 'UPDATE', table, set, remove, where: this.#where() };
  }

  #where(): Term[] {
    this.#expectKeyword('WHERE');
    const terms = [this.#term()];
    while (this.#peekKeyword('AND')) {
      this.#keyword();
      terms.push(this.#term());
    }
    if (this.#peekKeyword('OR')) throw unsupported('OR in WHERE');
    return terms;
  }

  #term(): Term {
    const token = this.#peek();
    if (token?.type === 'word' && token.text.toLowerCase() === 'begins_with') {
      this.#at++;
      this.#expect('(');
      const attribute = this.#attribute();
      this.#expect(',');
      const value = this.#value();
      this.#expect(')');
      return { attribute, op: 'begins_with', values: [value] };
    }
    const attribute = this.#attribute();
    if (this.#peekKeyword('BETWEEN')) {
      this.#keyword();
      const low = this.#value();
      this.#expectKeyword('AND');
      return { attribute, op: 'BETWEEN', values: [low, this.#value()] };
    }
    const op = this.#next('a comparison');
    const comparison = op.text === '!=' ? '<>' : op.text;
    if (op.type !== 'symbol' || !(COMPARISONS as readonly string[]).includes(comparison)) {
      throw unsupported(`the operator '${op.text}' in WHERE`);
    }
    return { attribute, op: comparison as Term['op'], values: [this.#value()] };
  }

  #value(): Value {
    const token = this.#next('a value');
    if (token.type === 'symbol' && token.text === '?') return { parameter: this.#parameters++ };
    if (token.type === 'string') return { literal: { S: token.text } };
    if (token.type === 'number') return { literal: { N: token.text } };
    if (token.type === 'word') {
      const word = token.text.toUpperCase();
      if (word === 'TRUE' || word === 'FALSE') return { literal: { BOOL: word === 'TRUE' } };
      if (word === 'NULL') return { literal: { NULL: true } };
    }
    if (token.text === '{') return this.#map();
    if (token.text === '[') return { list: this.#list(']') };
    if (token.text === '<<') return { literal: set(this.#list('>>').map((v) => literalOf(v, 'sets'))) };
    throw unsupported(`'${token.text}' as a value`);
  }

  #map(): Value {
    const map: Record<string, Value> = {};
    if (!this.#accept('}')) {
      do {
        const key = this.#next('a map key');
        if (key.type !== 'string' && key.type !== 'quoted') throw unsupported(`'${key.text}' as a map key`);
        this.#expect(':');
        map[key.text] = this.#value();
      } while (this.#accept(','));
      this.#expect('}');
    }
    return { map };
  }

  #list(close: string): Value[] {
    const items: Value[] = [];
    if (this.#accept(close)) return items;
    do items.push(this.#value());
    while (this.#accept(','));
    this.#expect(close);
    return items;
  }

  /** A table, index or attribute name: "quoted" or a bare word. */
  #name(): string {
    const token = this.#next('a name');
    if (token.type !== 'quoted' && token.type !== 'word') throw unsupported(`'${token.text}' where a name belongs`);
    return token.text;
  }

  /** A top-level attribute name: nested paths (`a.b`, `a[0]`) are outside the subset. */
  #attribute(): string {
    const name = this.#name();
    const next = this.#peek();
    if (next?.type === 'symbol' && (next.text === '.' || next.text === '['))
      throw unsupported('nested attribute paths');
    return name;
  }

  #keyword(): string {
    const token = this.#next('a keyword');
    if (token.type !== 'word') throw unsupported(`'${token.text}' where a keyword belongs`);
    return token.text.toUpperCase();
  }

  #expectKeyword(word: string): void {
    const found = this.#peek();
    if (found?.type !== 'word' || found.text.toUpperCase() !== word) {
      throw new ValidationError(
        `Statement wasn't well formed, expected ${word} but found ${found ? `'${found.text}'` : 'the end'}`,
      );
    }
    this.#at++;
  }

  #peekKeyword(word: string): boolean {
    const token = this.#peek();
    return token?.type === 'word' && token.text.toUpperCase() === word;
  }

  #expect(symbol: string): void {
    if (!this.#accept(symbol)) {
      const found = this.#peek();
      throw new ValidationError(
        `Statement wasn't well formed, expected '${symbol}' but found ${found ? `'${found.text}'` : 'the end'}`,
      );
    }
  }

  #accept(symbol: string): boolean {
    const token = this.#peek();
    if (token?.type === 'symbol' && token.text === symbol) {
      this.#at++;
      return true;
    }
    return false;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  #next(what: string): Token {
    const token = this.#tokens[this.#at++];
    if (!token) throw new ValidationError(`Statement wasn't well formed, expected ${what} but found the end`);
    return token;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      // Quotes inside are doubled, as in SQL.
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ValidationError("Statement wasn't well formed, an unterminated quote");
        if (text[j] === c && text[j + 1] === c) {
          value += c;
          j += 2;
        } else if (text[j] === c) break;
        else value += text[j++];
      }
      tokens.push({ type: c === "'" ? 'string' : 'quoted', text: value });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'number', text: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'word', text: match[0] });
      i += match[0].length;
    } else {
      const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
      if (!symbol) throw new ValidationError(`Statement wasn't well formed, unexpected character '${c}'`);
      tokens.push({ type: 'symbol', text: symbol });
      i += symbol.length;
    }
  }
  return tokens;
}

function literalOf(value: Value, where: string): AttributeValue {
  if ('literal' in value) return value.literal;
  throw unsupported(`parameters inside ${where}`);
}

function set(items: AttributeValue[]): AttributeValue {
  if (items.length > 0 && items.every((v) => 'S' in v)) return { SS: items.map((v) => (v as { S: string }).S) };
  if (items.length > 0 && items.every((v) => 'N' in v)) return { NS: items.map((v) => (v as { N: string }).N) };
  throw unsupported('sets other than non-empty string or number sets');
}

function unsupported(what: string): ValidationError {
  return new ValidationError(
    `Unsupported PartiQL: ${what} (lambdata answers simple SELECT, INSERT, UPDATE and DELETE)`,
  );
}
