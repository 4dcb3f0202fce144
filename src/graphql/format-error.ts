import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isDatabaseUnavailable, MSG_UNAVAILABLE } from '../db/errors';
import { DomainError, UnavailableError } from '../errors';
import { QueryError } from '../query/errors';
import { graphqlExtensions, KNOWN_CODES } from './errors';

// Codes given to the client's own mistakes: safe to show as they are.
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  // Ours (graphql/cost.ts): the operation would read more rows than GRAPHQL_MAX_ROWS allows.
  'COST_LIMIT_EXCEEDED',
]);

/** The error a resolver threw, and the extensions graphql-jit leaves on it rather than its wrapper. */
function unwrap(error: unknown): { original: unknown; own?: Record<string, unknown> } {
  const original = unwrapResolverError(error);
  return { original, own: original instanceof GraphQLError ? original.extensions : undefined };
}

/**
 * The cause of an error that is the service's fault — driver errors, SQL, bugs — or undefined
 * for the client's own mistakes (a known code, a q/sort/paging complaint, an Apollo request
 * error marked with an HTTP 4xx). What this returns is masked in the answer and logged.
 */
export function internalCause(error: unknown): unknown {
  const { original, own } = unwrap(error);
  if (original instanceof QueryError) return undefined;
  if (original instanceof DomainError) return original instanceof UnavailableError ? original : undefined;
  const code = ((error as GraphQLError | undefined)?.extensions?.code ?? own?.code) as string | undefined;
  if (code && (KNOWN_CODES.has(code) || CLIENT_CODES.has(code))) return undefined;
  // Apollo marks some request errors of its own with an HTTP 4xx but no code (an APQ hash that
  // does not match its query).
  const status = (own?.http as { status?: number } | undefined)?.status;
  if (status !== undefined && status >= 400 && status < 500) return undefined;
  return original ?? error;
}

/** Something we depend on is unavailable (the database, the token key set): retryable, not a bug. */
export function isOutage(cause: unknown): boolean {
  return cause instanceof UnavailableError || isDatabaseUnavailable(cause);
}

/**
 * The one place errors are masked: known codes pass with their message (never a stack);
 * a database outage becomes SERVICE_UNAVAILABLE, anything else a generic message (graphql/apollo.ts
 * logs the cause of both).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, debug: boolean): GraphQLFormattedError {
  const cause = internalCause(error);
  if (cause !== undefined) {
    // An outage, not a bug: retryable, and the driver's text (SQL, addresses) stays in the log.
    // The HTTP status (503 + Retry-After) is set by unavailablePlugin.
    if (isOutage(cause)) {
      return {
        message: cause instanceof UnavailableError ? cause.message : MSG_UNAVAILABLE,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      };
    }
    if (debug) return formatted;
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  }
  const { original, own } = unwrap(error);
  if (original instanceof DomainError) {
    const { http: _http, ...extensions } = graphqlExtensions(original);
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // A q/sort/paging complaint that escaped parseListArgs is still the client's mistake.
  if (original instanceof QueryError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', field: original.field },
    };
  }
  // Codes set by graphql-js, Apollo or our plugins (variables, validation, cost); graphql-jit
  // may leave them on the original rather than its wrapper.
  const code = (formatted.extensions?.code ?? own?.code) as string | undefined;
  if (code && (KNOWN_CODES.has(code) || CLIENT_CODES.has(code))) {
    const merged: Record<string, unknown> = { ...own, ...formatted.extensions, code };
    const { stacktrace: _s, http: _h, reason: _r, ...extensions } = merged;
    // "Did you mean …" would spell out the schema to a caller who may not introspect it.
    return { ...formatted, message: formatted.message.replace(/ ?Did you mean .+\?$/, ''), extensions };
  }
  return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
}
