/**
 * Parser for the `q` search language (docs/behaviour.md, "The `q` language").
 *
 *   q        := item (whitespace item)*                     all items must hold (AND)
 *   item     := 'NOT' whitespace item                      the item does not hold
 *             | group (whitespace 'OR' whitespace group)*  at least one group holds
 *             | term
 *   group    := '(' q ')'
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
 * Groups, OR and NOT were added for segment rules. Every q that parsed before still parses to
 * the same terms: no term starts with '(', and `NOT` or `OR` followed by whitespace could only
 * have been a field name missing its ':' — an error. OR joins parenthesised groups only, so
 * there is no precedence to remember: `(a:1 b:2) OR (c:3)`.
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
/** `(…) OR (…)`: each branch is a list of items that must all hold. A lone `(…)` has one branch. */
export interface QOr {
  kind: 'or';
  position: number;
  branches: QNode[][];
}
export interface QNot {
  kind: 'not';
  position: number;
  item: QNode;
}
export type QNode = QTerm | QOr | QNot;

export function isTerm(node: QNode): node is QTerm {
  return 'field' in node;
}

/** Every term in a parsed q, however nested (fields to check, terms to count). */
export function termsOf(nodes: readonly QNode[]): QTerm[] {
  const out: QTerm[] = [];
  const stack = [...nodes];
  while (stack.length) {
    const n = stack.pop() as QNode;
    if (isTerm(n)) out.push(n);
    else if (n.kind === 'not') stack.push(n.item);
    else for (const b of n.branches) stack.push(...b);
  }
  return out;
}

export const MAX_Q_LENGTH = 4000;
export const MAX_Q_TERMS = 50;
/** Groups and NOTs nested in one another. */
export const MAX_Q_NESTING = 8;

const FIELD_CHAR = /[A-Za-z0-9_.-]/;
const WS = /\s/;
/** Characters that would make a bare value ambiguous; such values must be quoted. */
const RESERVED_IN_BARE = new Set(['"', '(', ')']);

/** The items of `q`, all of which must hold; each a term, a NOT, or an OR of groups. */
export function parseQ(q: string): QNode[] {
  if (typeof q !== 'string') throw new QueryError('q: must be a string', 'q');
  if (q.length > MAX_Q_LENGTH) {
    throw new QueryError(`q: too long (${q.length} characters, at most ${MAX_Q_LENGTH})`, 'q');
  }
  return new Parser(q).parse();
}

class Parser {
  private pos = 0;
  private field: string | undefined;
  private terms = 0;
  private depth = 0;
  /** Inside a group a bare value or ~text also ends at ')'. */
  private groups = 0;

  constructor(private readonly src: string) {}

  parse(): QNode[] {
    const items = this.items(false);
    if (!this.atEnd()) this.fail(`unexpected ')'`);
    return items;
  }

  /** Items up to the end of input, or up to (not past) the ')' closing a group. */
  private items(inGroup: boolean): QNode[] {
    const items: QNode[] = [];
    this.skipWs();
    while (!this.atEnd() && !(inGroup && this.peek() === ')')) {
      items.push(this.item());
      if (!this.atEnd() && !this.isWs(this.peek()) && !(inGroup && this.peek() === ')')) {
        this.fail(`expected whitespace before the next term`);
      }
      this.skipWs();
    }
    return items;
  }

  private item(): QNode {
    const position = this.pos;
    if (this.keyword('NOT')) {
      this.skipWs();
      if (this.atEnd()) this.fail(`expected a term or a group after NOT`);
      return { kind: 'not', position, item: this.nest(() => this.item()) };
    }
    if (this.peek() === '(') {
      const branches = [this.itemGroup()];
      for (;;) {
        const save = this.pos;
        this.skipWs();
        if (!this.keyword('OR')) {
          this.pos = save;
          break;
        }
        this.skipWs();
        if (this.peek() !== '(') this.fail(`OR joins parenthesised groups: expected '(' after OR`);
        branches.push(this.itemGroup());
      }
      return { kind: 'or', position, branches };
    }
    if (this.terms === MAX_Q_TERMS) throw new QueryError(`q: too many terms (at most ${MAX_Q_TERMS})`, 'q');
    this.terms++;
    const term = this.term();
    const save = this.pos;
    this.skipWs();
    if (this.keyword('OR')) this.fail(`OR joins parenthesised groups: write (…) OR (…)`, save);
    this.pos = save;
    return term;
  }

  private itemGroup(): QNode[] {
    const open = this.pos;
    this.pos++;
    this.groups++;
    let items: QNode[];
    try {
      items = this.nest(() => this.items(true));
    } finally {
      this.groups--;
    }
    if (this.atEnd()) this.fail(`missing ')' for '(' at position ${open}`);
    if (items.length === 0) this.fail(`empty group`, open);
    this.pos++;
    return items;
  }

  /** Consumes `word` when it stands here followed by whitespace: the operator, not a field name. */
  private keyword(word: string): boolean {
    if (this.src.startsWith(word, this.pos) && this.isWs(this.src.charAt(this.pos + word.length))) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private nest<T>(fn: () => T): T {
    if (this.depth === MAX_Q_NESTING) {
      throw new QueryError(`q: groups and NOT nested more than ${MAX_Q_NESTING} deep`, 'q');
    }
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
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
    const isEnd = (ch: string): boolean =>
      this.isWs(ch) || (ctx === 'list' && (ch === ',' || ch === ')')) || (this.groups > 0 && ch === ')');
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
      while (!this.atEnd() && !this.isWs(this.peek()) && !(this.groups > 0 && this.peek() === ')')) {
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
    if (!this.atEnd() && !this.isWs(this.peek()) && !(this.groups > 0 && this.peek() === ')')) {
      this.fail('expected whitespace after the value');
    }
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
