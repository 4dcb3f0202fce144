/**
 * Turning `q` literals into bound values for typed columns. Every failure is a QueryError that
 * names the field and the offending text.
 */
import { QueryError } from './errors';
import type { ColumnField } from './fields';
import type { QLiteral } from './q-parser';

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite decimal number, or undefined (no hex, no Infinity, no empty string as 0). */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** True for an unquoted literal that reads as a number: the JSON rules compare it numerically. */
export function isNumberLiteral(lit: QLiteral): boolean {
  return !lit.quoted && parseNumber(lit.text) !== undefined;
}

// Date, optional time (seconds and fraction optional), optional zone. No zone means UTC, so the
// result never depends on the server's time zone (Date.parse would use local time).
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Epoch milliseconds of an ISO-8601 date or date-time, or undefined when invalid. */
export function parseInstant(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let offset = 'Z';
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = digits.slice(0, 2);
    const om = digits.slice(2) || '00';
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    offset = `${zone[0]}${oh}:${om}`;
  }
  const ms = (frac + '000').slice(0, 3);
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  return Number.isNaN(t) ? undefined : t;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const RELATIVE = /^now(?:([+-])(\d{1,9})(ms|s|m|h|d|w))?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An instant relative to now — `now`, `now-180d`, `now+2h` (units ms, s, m = minutes, h, d, w)
 * — in epoch ms, or undefined when the literal is not one. Quoted text is never relative, so
 * `"now"` still means the word. `now` is the caller's clock (an injected one in tests).
 */
export function relativeInstant(lit: QLiteral, now: number): number | undefined {
  if (lit.quoted) return undefined;
  const m = RELATIVE.exec(lit.text);
  if (!m) return undefined;
  if (!m[1]) return now;
  const delta = Number(m[2]) * UNIT_MS[m[3]];
  return m[1] === '-' ? now - delta : now + delta;
}

/** The bound value of `lit` for a typed column (strings as is, booleans as 0/1, instants as ms). */
export function columnValue(field: ColumnField, lit: QLiteral, name: string, now: number = Date.now()): string | number {
  switch (field.kind) {
    case 'string':
      return lit.text;
    case 'enum': {
      const allowed = field.enumValues ?? [];
      if (!allowed.includes(lit.text)) {
        throw new QueryError(`q: invalid value "${lit.text}" for field "${name}" (allowed: ${allowed.join(', ')})`, 'q');
      }
      return lit.text;
    }
    case 'number': {
      const n = parseNumber(lit.text);
      if (n === undefined) throw new QueryError(`q: field "${name}" expects a number, got "${lit.text}"`, 'q');
      return n;
    }
    case 'boolean':
      if (lit.text === 'true') return 1;
      if (lit.text === 'false') return 0;
      throw new QueryError(`q: field "${name}" expects true or false, got "${lit.text}"`, 'q');
    case 'instant': {
      const t = relativeInstant(lit, now) ?? parseInstant(lit.text);
      if (t === undefined) {
        throw new QueryError(
          `q: field "${name}" expects an ISO-8601 date-time (e.g. "2024-01-31T12:00:00Z") or now-180d, got "${lit.text}"`,
          'q',
        );
      }
      return t;
    }
  }
}

/**
 * A LIKE pattern for case-insensitive contains / starts-with / ends-with. The user's text is
 * lower-cased (the SQL side applies LOWER) and '%', '_' and the escape character '!' are escaped,
 * so it only ever matches literally. '!' rather than '\' because a backslash inside an SQL string
 * literal means different things on MySQL ('\\') and SQLite ('\').
 */
export const LIKE_ESCAPE = '!';
export function likePattern(text: string, anchorStart: boolean, anchorEnd: boolean): string {
  const escaped = text.toLowerCase().replace(/[!%_]/g, (c) => LIKE_ESCAPE + c);
  return `${anchorStart ? '' : '%'}${escaped}${anchorEnd ? '' : '%'}`;
}
