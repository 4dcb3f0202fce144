import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { limits } from '../limits';

/** A request body the JSON parser refused; the error handler answers it in the route's face. */
export class BodyError extends Error {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly code: 'FST_ERR_CTP_INVALID_JSON_BODY' | 'BODY_TOO_DEEP',
  ) {
    super(message);
  }
}

/**
 * Depth of the deepest array or object in a JSON text, or Infinity once it passes `max`. A scan
 * of the text (strings skipped), not a walk of the parsed value: it runs before anything
 * recursive — ours, graphql-js's or Apollo's — ever sees the value, and costs one pass.
 */
export function jsonDepthExceeds(text: string, max: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return null;
}

/** JSON text → value: empty is "no body", too deep or malformed is a BodyError. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  const max = limits().bodyDepth;
  const depth = jsonDepthExceeds(text, max);
  if (depth !== null) {
    throw new BodyError(`The request body is nested more than ${max} levels deep (LIMIT_BODY_DEPTH)`, 'BODY_TOO_DEEP');
  }
  try {
    // Prototype keys are dropped rather than rejected with a misleading "not JSON".
    return secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    throw new BodyError('The request body is not valid JSON', 'FST_ERR_CTP_INVALID_JSON_BODY');
  }
}

/**
 * The one JSON parser for every route (REST and /graphql): bounded depth, no prototype keys, an
 * empty body read as none. text/plain, which Fastify parses by default, is not JSON: a 415.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (e) {
      done(e as BodyError, undefined);
    }
  });
}
