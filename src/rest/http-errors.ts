import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable, MSG_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER_S } from '../db/errors';
import { DomainError, type DomainErrorKind, UnauthenticatedError } from '../errors';
import { QueryError } from '../query/errors';

/** The contract's Error body. */
export interface ErrorBody {
  code: number;
  status: string;
  message: string;
  resourceId?: string;
  details?: { field?: string; type?: string; message?: string; moreInfo?: string };
}

export const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The HTTP face of the domain errors (src/errors.ts): one status per kind. */
const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

/** Errors graphql-js itself makes with a code: variables that do not coerce. */
const STATUS_BY_CODE: Record<string, number> = { BAD_USER_INPUT: 400 };

function statusOf(error: Error): number {
  if (error instanceof DomainError) return STATUS_BY_KIND[error.kind];
  if (error instanceof QueryError) return 400;
  if (isDatabaseUnavailable(error)) return 503;
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  return typeof code === 'string' ? (STATUS_BY_CODE[code] ?? 500) : 500;
}

export function errorBody(code: number, message: string, extra: Partial<ErrorBody> = {}): ErrorBody {
  return { code, status: REASON[code] ?? 'Error', message, ...extra };
}

/** The platform's 401 bodies (docs/behaviour.md), not the Error body. */
export function faultBody(reason: UnauthenticatedError['reason']): Record<string, unknown> {
  if (reason === 'expired') {
    return {
      fault: {
        faultstring: 'Access Token expired',
        detail: { errorcode: 'keymanagement.service.access_token_expired' },
      },
    };
  }
  const faultstring = reason === 'tenant' ? 'Invalid access token for this tenant' : 'Invalid access token';
  return { fault: { faultstring, detail: { errorcode: 'oauth.v2.InvalidAccessToken' } } };
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  /** For a 5xx: what went wrong, for the log line (never in the body). */
  cause?: unknown;
  headers?: Record<string, string>;
}

/** Something we depend on did not answer (the database, the key set): a 503 the client may retry. */
export function unavailableAnswer(cause: unknown): Required<HttpAnswer> {
  return {
    status: 503,
    // Our own outage errors say what is missing; a driver's text never reaches the client.
    body: errorBody(503, cause instanceof DomainError ? cause.message : MSG_UNAVAILABLE),
    headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) },
    cause,
  };
}

/**
 * Errors → one HTTP answer: what a GraphQL execution returned, or what the REST layer itself
 * threw before or after it (a coded error, a q/sort/paging QueryError, the database being
 * unavailable: 503 with Retry-After). When several come back the highest status wins; anything
 * without a known code is a 500 that names no cause.
 */
export function answerForErrors(errors: readonly (GraphQLError | QueryError | Error)[]): HttpAnswer {
  let worst: { status: number; error: Error } | undefined;
  for (const error of errors) {
    const original = origin(error);
    const status = statusOf(original);
    if (!worst || status > worst.status) worst = { status, error: original };
  }
  if (!worst) return { status: 500, body: errorBody(500, 'Internal server error'), cause: 'no error given' };
  const { status, error } = worst;
  if (status === 503) return unavailableAnswer(error);
  if (status === 401) return { status, body: faultBody(error instanceof UnauthenticatedError ? error.reason : 'invalid') };
  if (status === 500) return { status, body: errorBody(500, 'Internal server error'), cause: error };
  const { field, resourceId } = error as { field?: unknown; resourceId?: unknown };
  const extra: Partial<ErrorBody> = {};
  if (typeof resourceId === 'string') extra.resourceId = resourceId;
  if (typeof field === 'string') extra.details = { field, message: error.message };
  return { status, body: errorBody(status, error.message, extra) };
}

/** The error a resolver threw, under graphql-js's or graphql-jit's located wrapper. */
function origin(error: Error): Error {
  return error instanceof GraphQLError ? (error.originalError ?? error) : error;
}
