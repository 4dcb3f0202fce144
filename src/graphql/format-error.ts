import type { FastifyBaseLogger } from 'fastify';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isDatabaseUnavailable, MSG_UNAVAILABLE } from '../db/errors';
import { QueryError } from '../query/errors';
import { KNOWN_CODES } from './errors';

// Codes Apollo and graphql-js give to the client's own mistakes: safe to show as they are.
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The one place errors are masked: known codes pass with their message (never a stack);
 * anything else — driver errors, SQL, bugs — is logged and replaced by a generic message.
 */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  debug: boolean,
  log?: FastifyBaseLogger,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  // A q/sort/paging complaint that escaped parseListArgs is still the client's mistake.
  if (original instanceof QueryError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', field: original.field },
    };
  }
  // graphql-jit (our executor) wraps a resolver's error without copying its extensions onto
  // the wrapper: the code and field live on the original.
  const own: Record<string, unknown> | undefined = original instanceof GraphQLError ? original.extensions : undefined;
  const code = (formatted.extensions?.code ?? own?.code) as string | undefined;
  if (code && (KNOWN_CODES.has(code) || CLIENT_CODES.has(code))) {
    const merged: Record<string, unknown> = { ...own, ...formatted.extensions, code };
    const { stacktrace: _s, http: _h, reason: _r, ...extensions } = merged;
    // "Did you mean …" would spell out the schema to a caller who may not introspect it.
    return { ...formatted, message: formatted.message.replace(/ ?Did you mean .+\?$/, ''), extensions };
  }
  // Apollo marks some request errors of its own with an HTTP 4xx but no code (an APQ hash that
  // does not match its query): the client's mistake, not ours.
  const httpStatus = (own?.http as { status?: number } | undefined)?.status;
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) {
    return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  }
  // An outage, not a bug: retryable, and the driver's text (SQL, addresses) stays in the log.
  // The HTTP status (503 + Retry-After) is set by unavailablePlugin.
  if (isDatabaseUnavailable(original)) {
    log?.warn({ code: (original as { code?: string }).code }, 'database unavailable');
    return {
      message: MSG_UNAVAILABLE,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  if (debug) return formatted;
  log?.error({ err: original }, 'internal error in GraphQL operation');
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
