import { ValidationError } from './errors.js';
import type { AttributeMap, AttributeValue } from './types.js';

/** A document path: attribute names and list indexes (`a.b[2].c`). */
export type Path = Array<string | number>;

/** A value-producing part of an expression. */
export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; value: AttributeValue }
  | { kind: 'size'; path: Path }
  | { kind: 'arith'; op: '+' | '-'; left: Operand; right: Operand }
  | { kind: 'if_not_exists'; path: Path; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand };

/** A boolean condition (ConditionExpression, FilterExpression, KeyConditionExpression). */
export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand }
  | { kind: 'in'; operand: Operand; list: Operand[] }
  | { kind: 'function'; name: BooleanFunction; args: Operand[] };

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';
type BooleanFunction = 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains';

/** The actions of an UpdateExpression, by clause. */
export interface UpdateActions {
  set: Array<{ path: Path; value: Operand }>;
  remove: Path[];
  add: Array<{ path: Path; value: Operand }>;
  delete: Array<{ path: Path; value: Operand }>;
}

type Token = { type: 'name' | 'placeholder' | 'value' | 'number' | 'punct'; text: string; at: number };

const BOOLEAN_FUNCTIONS = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
/** DynamoDB's limit on the length of one expression string. */
const MAX_EXPRESSION_BYTES = 4096;
/** How deep parentheses, NOT and nested functions may go: parsing is recursive, so it is bounded. */
const MAX_NESTING = 100;
const PUNCT = ['<=', '>=', '<>', '(', ')', '[', ']', ',', '.', '=', '<', '>', '+', '-'];

/** Parses a condition. @throws ValidationError with the offending token. */
export function parseCondition(text: string, names: Record<string, string> = {}, values: AttributeMap = {}): Condition {
  const parser = new Parser(text, names, values);
  const condition = parser.condition();
  parser.end();
  return condition;
}

/** Parses an UpdateExpression (SET, REMOVE, ADD, DELETE clauses in any order). @throws ValidationError */
export function parseUpdate(
  text: string,
  names: Record<string, string> = {},
  values: AttributeMap = {},
): UpdateActions {
  const parser = new Parser(text, names, values);
  const actions = parser.update();
  parser.end();
  return actions;
}

/** Parses a ProjectionExpression into paths. @throws ValidationError */
export function parseProjection(text: string, names: Record<string, string> = {}): Path[] {
  const parser = new Parser(text, names, {});
  const paths = [parser.path()];
  while (parser.accept(',')) paths.push(parser.path());
  parser.end();
  return paths;
}

class Parser {
  #tokens: Token[];
  #i = 0;
  #names: Record<string, string>;
  #values: AttributeMap;
  #text: string;
  #depth = 0;

  constructor(text: string, names: Record<string, string>, values: AttributeMap) {
    if (typeof text !== 'string') throw new ValidationError('Invalid expression: the expression must be a string');
    if (Buffer.byteLength(text) > MAX_EXPRESSION_BYTES) {
      throw new ValidationError(
        `Invalid expression: Expression size has exceeded the maximum allowed size; size: ${Buffer.byteLength(text)}`,
      );
    }
    this.#text = text;
    this.#tokens = tokenize(text);
    this.#names = names;
    this.#values = values;
  }

  end(): void {
    const token = this.#peek();
    if (token) this.#fail(`unexpected token: "${token.text}"`, token);
  }

  accept(text: string): boolean {
    const token = this.#peek();
    if (token?.type === 'punct' && token.text === text) {
      this.#i++;
      return true;
    }
    return false;
  }

  condition(): Condition {
    let left = this.#and();
    while (this.#keyword('OR')) left = { kind: 'or', left, right: this.#and() };
    return left;
  }

  update(): UpdateActions {
    const actions: UpdateActions = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<string>();
    if (!this.#peek()) this.#fail('the expression is empty');
    while (this.#peek()) {
      const token = this.#next();
      const clause = token.type === 'name' ? token.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) this.#fail(`unexpected token: "${token.text}"`, token);
      if (seen.has(clause)) this.#fail(`The "${clause}" section can only be used once in an update expression`, token);
      seen.add(clause);
      do {
        if (clause === 'SET') {
          const path = this.path();
          this.#expect('=');
          actions.set.push({ path, value: this.#setValue() });
        } else if (clause === 'REMOVE') {
          actions.remove.push(this.path());
        } else {
          const path = this.path();
          const value = this.#operand();
          (clause === 'ADD' ? actions.add : actions.delete).push({ path, value });
        }
      } while (this.accept(','));
    }
    return actions;
  }

  path(): Path {
    const path: Path = [this.#name()];
    for (;;) {
      if (this.accept('.')) path.push(this.#name());
      else if (this.accept('[')) {
        const token = this.#next();
        if (token.type !== 'number') this.#fail('a list index must be a number', token);
        path.push(Number(token.text));
        this.#expect(']');
      } else return path;
    }
  }

  #and(): Condition {
    let left = this.#not();
    while (this.#keyword('AND')) left = { kind: 'and', left, right: this.#not() };
    return left;
  }

  #not(): Condition {
    if (this.#keyword('NOT')) return { kind: 'not', operand: this.#nested(() => this.#not()) };
    return this.#primary();
  }

  #primary(): Condition {
    if (this.accept('(')) {
      const inner = this.#nested(() => this.condition());
      this.#expect(')');
      return inner;
    }
    const token = this.#peek();
    const next = this.#tokens[this.#i + 1];
    if (token?.type === 'name' && next?.text === '(' && BOOLEAN_FUNCTIONS.has(token.text)) {
      this.#i += 2;
      const args = [this.#operand()];
      while (this.accept(',')) args.push(this.#operand());
      this.#expect(')');
      return { kind: 'function', name: token.text as BooleanFunction, args };
    }
    const left = this.#operand();
    if (this.#keyword('BETWEEN')) {
      const low = this.#operand();
      if (!this.#keyword('AND')) this.#fail('BETWEEN needs AND', this.#peek());
      return { kind: 'between', operand: left, low, high: this.#operand() };
    }
    if (this.#keyword('IN')) {
      this.#expect('(');
      const list = [this.#operand()];
      while (this.accept(',')) list.push(this.#operand());
      this.#expect(')');
      return { kind: 'in', operand: left, list };
    }
    const op = this.#next();
    if (op.type !== 'punct' || !['=', '<>', '<', '<=', '>', '>='].includes(op.text)) {
      this.#fail(`expected a comparator, got "${op.text}"`, op);
    }
    return { kind: 'compare', op: op.text as Comparator, left, right: this.#operand() };
  }

  #setValue(): Operand {
    const left = this.#setOperand();
    if (this.accept('+')) return { kind: 'arith', op: '+', left, right: this.#setOperand() };
    if (this.accept('-')) return { kind: 'arith', op: '-', left, right: this.#setOperand() };
    return left;
  }

  #setOperand(): Operand {
    const token = this.#peek();
    const next = this.#tokens[this.#i + 1];
    if (token?.type === 'name' && next?.text === '(' && ['if_not_exists', 'list_append'].includes(token.text)) {
      return this.#nested(() => this.#setFunction(token.text));
    }
    return this.#operand();
  }

  #setFunction(name: string): Operand {
    this.#i += 2;
    if (name === 'if_not_exists') {
      const path = this.path();
      this.#expect(',');
      const fallback = this.#setValue();
      this.#expect(')');
      return { kind: 'if_not_exists', path, fallback };
    }
    const left = this.#setValue();
    this.#expect(',');
    const right = this.#setValue();
    this.#expect(')');
    return { kind: 'list_append', left, right };
  }

  #nested<T>(parse: () => T): T {
    if (++this.#depth > MAX_NESTING) this.#fail('the expression nests too deeply', this.#peek());
    try {
      return parse();
    } finally {
      this.#depth--;
    }
  }

  #operand(): Operand {
    const token = this.#peek();
    if (!token) return this.#fail('unexpected end of expression');
    if (token.type === 'value') {
      this.#i++;
      const value = this.#values[token.text];
      if (!value)
        this.#fail(`An expression attribute value used in expression is not defined; attribute value: ${token.text}`);
      return { kind: 'value', value: value as AttributeValue };
    }
    if (token.type === 'name' && token.text === 'size' && this.#tokens[this.#i + 1]?.text === '(') {
      this.#i += 2;
      const path = this.path();
      this.#expect(')');
      return { kind: 'size', path };
    }
    return { kind: 'path', path: this.path() };
  }

  #name(): string {
    const token = this.#next();
    if (token.type === 'placeholder') {
      const name = this.#names[token.text];
      if (name === undefined)
        this.#fail(
          `An expression attribute name used in the document path is not defined; attribute name: ${token.text}`,
        );
      return name as string;
    }
    if (token.type !== 'name') this.#fail(`expected an attribute name, got "${token.text}"`, token);
    return token.text;
  }

  #keyword(word: string): boolean {
    const token = this.#peek();
    if (token?.type === 'name' && token.text.toUpperCase() === word) {
      this.#i++;
      return true;
    }
    return false;
  }

  #expect(text: string): void {
    if (!this.accept(text)) this.#fail(`expected "${text}"`, this.#peek());
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#i];
  }

  #next(): Token {
    const token = this.#tokens[this.#i++];
    if (!token) this.#fail('unexpected end of expression');
    return token as Token;
  }

  #fail(message: string, token?: Token): never {
    const near = token ? ` near position ${token.at}` : '';
    throw new ValidationError(`Invalid expression: ${message}${near}; expression: ${this.#text}`);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const word = /^[#:]?[A-Za-z0-9_]+/.exec(text.slice(i));
    if (word) {
      const t = word[0];
      const type = t[0] === '#' ? 'placeholder' : t[0] === ':' ? 'value' : /^\d+$/.test(t) ? 'number' : 'name';
      tokens.push({ type, text: t, at: i });
      i += t.length;
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (!punct)
      throw new ValidationError(
        `Invalid expression: syntax error; token: "${c}", near position ${i}; expression: ${text}`,
      );
    tokens.push({ type: 'punct', text: punct, at: i });
    i += punct.length;
  }
  return tokens;
}
