import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, MSG_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER_S } from '../db/errors';
import { BodyError } from './json-body';
import { sendProblem } from './faces';

const MB = 1024 * 1024;

/**
 * What the web framework itself objects to — malformed bodies, media types, sizes, URLs — in the
 * face of the route it was meant for (faces.ts), never the framework's own body. Anything that
 * is not a client error is logged with its cause and answered without it.
 */
export async function answerFrameworkError(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  bodyLimit: number,
): Promise<FastifyReply> {
  if (err instanceof BodyError) return sendProblem(request, reply, { status: 400, message: err.message, field: 'body' });
  const status = err.statusCode ?? 500;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // The rest of the body is drained before this is sent (body-drain.ts).
      return sendProblem(request, reply, {
        status: 413,
        message: `The request body is larger than ${Math.round(bodyLimit / MB)} MB`,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(request, reply, { status: 415, message: 'Content-Type must be application/json' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendProblem(request, reply, { status: 400, message: 'The request body is not valid JSON', field: 'body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(request, reply, { status: 400, message: 'Content-Length does not match the body' });
    case 'FST_ERR_BAD_URL':
      return sendProblem(request, reply, { status: 400, message: 'The URL is not valid (malformed percent-encoding)' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendProblem(request, reply, { status: 414, message: 'A path parameter is too long' });
  }
  if (status >= 400 && status < 500) return sendProblem(request, reply, { status, message: 'Bad request' });
  request.failure = err;
  // A database outage that reached a handler's edge uncaught is still an outage, not a bug.
  if (isDatabaseUnavailable(err)) {
    reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
    return sendProblem(request, reply, { status: 503, message: MSG_UNAVAILABLE });
  }
  return sendProblem(request, reply, { status: 500, message: 'Internal server error' });
}

export function registerErrorShapes(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, request, reply) => answerFrameworkError(err, request, reply, bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    return sendProblem(request, reply, { status: 404, message: `No such endpoint: ${request.method} ${shown}` });
  });
}
