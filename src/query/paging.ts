/** `pageNumber` (1-based) and `pageSize` (docs/behaviour.md, "Paging, sorting, projection, totals"). */
import { QueryError } from './errors';

export interface Paging {
  pageNumber: number;
  pageSize: number;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 60;
export const MAX_PAGE_SIZE = 1000;

/** Accepts numbers or numeric strings (REST passes strings); undefined, null and '' mean the default. */
export function parsePaging(pageNumber: unknown, pageSize: unknown): Paging {
  const number = parseInteger(pageNumber, 'pageNumber', 1);
  const size = parseInteger(pageSize, 'pageSize', DEFAULT_PAGE_SIZE);
  if (number < 1) throw new QueryError(`pageNumber: must be at least 1, got ${number}`, 'pageNumber');
  if (size < 1 || size > MAX_PAGE_SIZE) {
    throw new QueryError(`pageSize: must be between 1 and ${MAX_PAGE_SIZE}, got ${size}`, 'pageSize');
  }
  const offset = (number - 1) * size;
  // A page far past the end is simply empty, but the offset must stay an exact integer.
  if (!Number.isSafeInteger(offset)) throw new QueryError(`pageNumber: too large, got ${number}`, 'pageNumber');
  return { pageNumber: number, pageSize: size, offset };
}

function parseInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return fallback;
    if (!/^[+-]?\d+$/.test(text)) throw new QueryError(`${name}: must be an integer, got ${describe(value)}`, name);
    return clampDigits(Number(text), name, value);
  }
  if (typeof value === 'number' && Number.isInteger(value)) return clampDigits(value, name, value);
  throw new QueryError(`${name}: must be an integer, got ${describe(value)}`, name);
}

/** Integers beyond 2^53 are not exact; they are far beyond any valid page anyway. */
function clampDigits(n: number, name: string, raw: unknown): number {
  if (!Number.isSafeInteger(n)) throw new QueryError(`${name}: too large, got ${describe(raw)}`, name);
  return n;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}
