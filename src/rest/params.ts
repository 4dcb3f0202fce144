import { BadInputError } from '../errors';
import { isPlainObject } from '../modules/shared/validate';
import { type RestRequest, str } from './adapter';

/** Query-string integers: the resolver checks the range; here only "is it an integer". */
export function intParam(req: RestRequest, name: string): number | undefined {
  const v = str(req.query[name], name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,9}$/.test(v)) throw new BadInputError(`${name} must be an integer`, name);
  return Number(v);
}

export function boolParam(req: RestRequest, name: string, fallback = false): boolean {
  const v = str(req.query[name], name);
  if (v === undefined || v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new BadInputError(`${name} must be true or false`, name);
}

export function strParam(req: RestRequest, name: string): string | undefined {
  const v = str(req.query[name], name);
  return v === '' ? undefined : v;
}

export function wantsTotal(req: RestRequest): boolean {
  return str(req.headers['x-total-count'], 'X-Total-Count')?.toLowerCase() === 'true';
}

export function bodyObject(req: RestRequest): Record<string, unknown> {
  if (!isPlainObject(req.body)) throw new BadInputError('The request body must be a JSON object', 'body');
  return req.body;
}

/** Search bodies are optional: none, or an object with a string `q`. */
export function searchQ(req: RestRequest): string | undefined {
  if (req.body === undefined || req.body === null || req.body === '') return undefined;
  const q = bodyObject(req).q;
  if (q === undefined || q === null) return undefined;
  if (typeof q !== 'string') throw new BadInputError('q must be a string', 'q');
  return q;
}

/** Bulk bodies: an array of at most 200 elements, else the whole request is a 400. */
export function bodyArray(req: RestRequest, max = 200): unknown[] {
  if (!Array.isArray(req.body)) throw new BadInputError('The request body must be a JSON array', 'body');
  if (req.body.length > max) {
    throw new BadInputError(`At most ${max} elements per request, got ${req.body.length}`, 'body');
  }
  return req.body;
}

/** What every listing takes: q, paging, sort and whether to count (the X-Total-Count header). */
export function listParams(req: RestRequest, q: string | undefined) {
  return {
    q,
    pageNumber: intParam(req, 'pageNumber'),
    pageSize: intParam(req, 'pageSize'),
    sort: strParam(req, 'sort'),
    withTotal: wantsTotal(req),
  };
}
