import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, faultBody } from '../rest/http-errors';

/**
 * The two faces of the service answer problems in their own shapes: `/graphql` always with a
 * GraphQL response (`{errors: [{message, extensions: {code}}]}`), everything else — the REST
 * contract under /customer-segment/ and the few service paths — with the contract's Error body.
 * Plugins that answer before a route runs (rate limit, body limits, bad URLs) go through here.
 */
export type Face = 'graphql' | 'rest';

export function faceOf(request: FastifyRequest): Face {
  const url = request.routeOptions?.url ?? request.url;
  return url === '/graphql' || url.startsWith('/graphql?') ? 'graphql' : 'rest';
}

/** GraphQL `extensions.code` for the HTTP statuses the service answers before GraphQL runs. */
const GRAPHQL_CODE: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export interface Problem {
  status: number;
  message: string;
  /** Overrides the GraphQL code derived from the status. */
  code?: string;
  /** The input field at fault, when there is one. */
  field?: string;
  /** REST 401: which of the platform's fault bodies. */
  reason?: 'invalid' | 'expired' | 'tenant';
}

export function problemBody(face: Face, p: Problem): unknown {
  if (face === 'graphql') {
    const extensions: Record<string, unknown> = { code: p.code ?? GRAPHQL_CODE[p.status] ?? 'BAD_REQUEST' };
    if (p.field) extensions.field = p.field;
    return { errors: [{ message: p.message, extensions }] };
  }
  if (p.status === 401) return faultBody(p.reason ?? 'invalid');
  return errorBody(p.status, p.message, p.field ? { details: { field: p.field, message: p.message } } : {});
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, p: Problem): FastifyReply {
  return reply
    .code(p.status)
    .type('application/json; charset=utf-8')
    .send(problemBody(faceOf(request), p));
}
