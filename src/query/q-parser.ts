/**
 * Parser for the `q` search language (docs/behaviour.md, "The `q` language").
 *
 *   q        := term (whitespace term)*
 *   term     := field ':' cond
 *   field    := [A-Za-z0-9_.-]+
 *   cond     := 'null' | 'exists' | 'missing'              (unquoted keywords)
 *             | value                                      exact match
 *             | ('>' | '<' | '>=' | '<=') value            comparison
 *             | '(' value (',' value)* ')'                 any of
 *             | '(' cmp value ('AND' cmp value)* ')'       range
 *             | '~' ['^'] like-text ['$']                  contains / starts / ends, case-insensitive
 *   value    := '"' chars with \" and \\ escapes '"' | bare text
 *   like-text:= '(' text, parentheses balanced, \ escapes ')' | '"' quoted '"' | bare text
 *
 * The parser only produces a syntax tree of raw texts; what a value means (number, boolean,
 * instant, enum) depends on the field and is decided by q-compile.ts. Positions in messages are
 * 0-based character offsets into `q`.
 */
import { QueryError } from './errors';

export { QueryError };

export type QLiteral = { text: string; quoted: boolean };
export type CmpOp = '>' | '<' | '>=' | '<=';
export type QCondition =
  | { op: 'eq'; value: QLiteral }
  | { op: 'in'; values: QLiteral[] }
  | { op: 'cmp'; parts: { cmp: CmpOp; value: QLiteral }[] }
  | { op: 'null' }
  | { op: 'exists' }
  | { op: 'missing' }
  | { op: 'like'; text: string; anchorStart: boolean; anchorEnd: boolean };
export interface QTerm {
  field: string;
  position: number;
  cond: QCondition;
}

export const MAX_Q_LENGTH = 4000;
export const MAX_Q_TERMS = 50;

const FIELD_CHAR = /[A-Za-z0-9_.-]/;
const WS = /\s/;
/** Characters that would make a bare value ambiguous; such values must be quoted. */
const RESERVED_IN_BARE = new Set(['"', '(', ')']);

export function parseQ(q: string): QTerm[] {
  if (typeof q !== 'string') throw new QueryError('q: must be a string', 'q');
  if (q.length > MAX_Q_LENGTH) {
    throw new QueryError(`q: too long (${q.length} characters, at most ${MAX_Q_LENGTH})`, 'q');
  }
  return new Parser(q).parse();
}

class Parser {
  private pos = 0;
  private field: string | undefined;

  constructor(private readonly src: string) {}

  parse(): QTerm[] {
    const terms: QTerm[] = [];
    this.skipWs();
    while (!this.atEnd()) {
      if (terms.length === MAX_Q_TERMS) {
        throw new QueryError(`q: too many terms (at most ${MAX_Q_TERMS})`, 'q');
      }
      terms.push(this.term());
      if (!this.atEnd() && !this.isWs(this.peek())) {
        this.fail(`expected whitespace before the next term`);
      }
      this.skipWs();
    }
    return terms;
  }

  private term(): QTerm {
    this.field = undefined;
    const position = this.pos;
    while (!this.atEnd() && FIELD_CHAR.test(this.peek())) this.pos++;
    if (this.pos === position) this.fail(`expected a field name`);
    const field = this.src.slice(position, this.pos);
    if (this.peek() !== ':') this.fail(`expected ':' after field "${field}"`);
    this.field = field;
    this.pos++;
    return { field, position, cond: this.condition() };
  }

  private condition(): QCondition {
    if (this.atEnd() || this.isWs(this.peek())) this.fail('expected a value');
    const c = this.peek();
    if (c === '~') {
      this.pos++;
      return this.like();
    }
    if (c === '(') {
      this.pos++;
      return this.group();
    }
    if (c === '>' || c === '<') {
      const cmp = this.cmpOp();
      return { op: 'cmp', parts: [{ cmp, value: this.value('top') }] };
    }
    const value = this.value('top');
    if (!value.quoted) {
      if (value.text === 'null') return { op: 'null' };
      if (value.text === 'exists') return { op: 'exists' };
      if (value.text === 'missing') return { op: 'missing' };
    }
    return { op: 'eq', value };
  }

  /** After '(' : a list of values, or a range when the first token is a comparison operator. */
  private group(): QCondition {
    this.skipWs();
    if (this.peek() === '>' || this.peek() === '<') return this.range();
    const values: QLiteral[] = [];
    for (;;) {
      this.skipWs();
      values.push(this.value('list'));
      this.skipWs();
      if (this.atEnd()) this.fail(`expected ',' or ')'`);
      const c = this.next();
      if (c === ')') return { op: 'in', values };
      if (c !== ',') this.fail(`expected ',' or ')'`, this.pos - 1);
    }
  }

  private range(): QCondition {
    const parts: { cmp: CmpOp; value: QLiteral }[] = [];
    for (;;) {
      this.skipWs();
      if (this.peek() !== '>' && this.peek() !== '<') this.fail(`expected a comparison ('>', '>=', '<', '<=')`);
      const cmp = this.cmpOp();
      this.skipWs();
      parts.push({ cmp, value: this.value('list') });
      this.skipWs();
      if (this.atEnd()) this.fail(`expected 'AND' or ')'`);
      if (this.peek() === ')') {
        this.pos++;
        return { op: 'cmp', parts };
      }
      const word = this.src.slice(this.pos, this.pos + 3);
      const after = this.src.charAt(this.pos + 3);
      if (word.toUpperCase() !== 'AND' || (after !== '' && !this.isWs(after))) {
        this.fail(`expected 'AND' or ')'`);
      }
      this.pos += 3;
    }
  }

  private cmpOp(): CmpOp {
    const c = this.next();
    if (this.peek() === '=') {
      this.pos++;
      return c === '>' ? '>=' : '<=';
    }
    return c === '>' ? '>' : '<';
  }

  /**
   * A quoted or bare value. At the top level a bare value ends at whitespace; inside parentheses
   * also at ',' and ')'. Whatever follows a value must be such a delimiter.
   */
  private value(ctx: 'top' | 'list'): QLiteral {
    if (this.atEnd()) this.fail('expected a value');
    const isEnd = (ch: string): boolean => this.isWs(ch) || (ctx === 'list' && (ch === ',' || ch === ')'));
    let lit: QLiteral;
    if (this.peek() === '"') {
      lit = { text: this.quoted(), quoted: true };
    } else {
      const start = this.pos;
      while (!this.atEnd() && !isEnd(this.peek())) {
        if (RESERVED_IN_BARE.has(this.peek())) this.fail(`unexpected '${this.peek()}' (quote values that contain it)`);
        this.pos++;
      }
      if (this.pos === start) this.fail('expected a value');
      lit = { text: this.src.slice(start, this.pos), quoted: false };
    }
    if (!this.atEnd() && !isEnd(this.peek())) {
      this.fail(ctx === 'top' ? 'expected whitespace after the value' : `expected ',' or ')' after the value`);
    }
    return lit;
  }

  /** A "..." string at the current position; a backslash takes the next character literally. */
  private quoted(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail(`unterminated quoted value starting at position ${start}`);
      const c = this.next();
      if (c === '"') return out;
      if (c === '\\') {
        if (this.atEnd()) this.fail(`unterminated quoted value starting at position ${start}`);
        out += this.next();
      } else {
        out += c;
      }
    }
  }

  private like(): QCondition {
    const start = this.pos;
    let anchorStart = false;
    let anchorEnd = false;
    let text: string;
    if (this.peek() === '^') {
      anchorStart = true;
      this.pos++;
    }
    const c = this.peek();
    if (c === '(') {
      const inner = this.parenText();
      text = inner.text;
      // Anchors may also be written inside the parentheses: ~(^text with spaces$).
      if (inner.leadingCaret) anchorStart = true;
      if (inner.trailingDollar) anchorEnd = true;
      if (this.peek() === '$') {
        anchorEnd = true;
        this.pos++;
      }
    } else if (c === '"') {
      text = this.quoted();
      if (this.peek() === '$') {
        anchorEnd = true;
        this.pos++;
      }
    } else {
      const s = this.pos;
      while (!this.atEnd() && !this.isWs(this.peek())) {
        if (RESERVED_IN_BARE.has(this.peek())) {
          this.fail(`unexpected '${this.peek()}' (write ~(text) or ~"text" for such text)`);
        }
        this.pos++;
      }
      text = this.src.slice(s, this.pos);
      if (text.endsWith('$')) {
        anchorEnd = true;
        text = text.slice(0, -1);
      }
    }
    if (!this.atEnd() && !this.isWs(this.peek())) this.fail('expected whitespace after the value');
    if (text === '') this.fail(`expected text after '~'`, start);
    return { op: 'like', text, anchorStart, anchorEnd };
  }

  /**
   * `( ... )` after '~': parentheses nest, a backslash takes the next character literally, an
   * unescaped '^' first / '$' last are anchors.
   */
  private parenText(): { text: string; leadingCaret: boolean; trailingDollar: boolean } {
    const open = this.pos;
    this.pos++;
    let depth = 0;
    let text = '';
    let leadingCaret = false;
    let prevWasDollar = false;
    for (;;) {
      if (this.atEnd()) this.fail(`missing ')' for '(' at position ${open}`);
      const index = this.pos;
      const c = this.next();
      if (c === '\\') {
        if (this.atEnd()) this.fail(`missing ')' for '(' at position ${open}`);
        text += this.next();
        prevWasDollar = false;
        continue;
      }
      if (c === ')' && depth === 0) break;
      if (c === '^' && index === open + 1) {
        leadingCaret = true;
        continue;
      }
      if (c === ')') depth--;
      if (c === '(') depth++;
      prevWasDollar = c === '$';
      text += c;
    }
    // Only an unescaped '$' directly before the closing ')' is an anchor.
    if (prevWasDollar) text = text.slice(0, -1);
    return { text, leadingCaret, trailingDollar: prevWasDollar };
  }

  private fail(what: string, at: number = this.pos): never {
    const where = at >= this.src.length ? `unexpected end of input at position ${at}` : `at position ${at}`;
    const field = this.field === undefined ? '' : ` (field "${this.field}")`;
    const msg = at >= this.src.length ? `q: ${where}: ${what}${field}` : `q: ${what}${field} ${where}`;
    throw new QueryError(msg, 'q');
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }
  private peek(): string {
    return this.src.charAt(this.pos);
  }
  private next(): string {
    return this.src.charAt(this.pos++);
  }
  private isWs(ch: string): boolean {
    return ch !== '' && WS.test(ch);
  }
  private skipWs(): void {
    while (!this.atEnd() && this.isWs(this.peek())) this.pos++;
  }
}
