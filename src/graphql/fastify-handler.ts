import { Readable } from 'node:stream';
import { type ApolloServer, type HTTPGraphQLRequest, HeaderMap } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from './context';
import type { OperationReplay } from './replay';

/**
 * The query string as `new URL(url, base).search` gives it. Request targets without `?` or `#`
 * (every POST a client sends to /graphql) have none, and skip building a URL — and the
 * protocol and host it needs — per request.
 */
function searchOf(request: FastifyRequest): string {
  const url = request.url;
  if (url.indexOf('?') < 0 && url.indexOf('#') < 0) return '';
  return new URL(url, `${request.protocol}://${request.hostname}/`).search;
}

function toGraphQLRequest(request: FastifyRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  const raw = request.headers;
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (value) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return { body: request.body, method: request.method.toUpperCase(), headers, search: searchOf(request) };
}

/**
 * @as-integrations/fastify's `fastifyApolloHandler`, line for line, but for the request's query
 * string (searchOf): that integration parses a URL for every request. With a replay
 * (graphql/replay.ts), repeats of queries Apollo has served are answered there; what it does
 * not answer, and what it learns from, is Apollo's.
 */
export function apolloHandler(
  apollo: ApolloServer<Context>,
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<Context>,
  replay?: OperationReplay,
): (request: FastifyRequest, reply: FastifyReply) => Promise<string | FastifyReply> {
  apollo.assertStarted('apolloHandler()');
  return async (request, reply) => {
    let carried: Context | undefined;
    if (replay) {
      // Whatever fails here (a bug: resolvers' errors are in the result) is Apollo's to answer and log.
      const served = await replay.serve(request, reply, () => context(request, reply)).catch(() => undefined);
      if (typeof served === 'string') return served;
      carried = served;
    }
    const { headers, body, status } = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: toGraphQLRequest(request),
      context: carried ? async () => carried : () => context(request, reply),
    });
    if (replay && body.kind === 'complete') replay.learn(request, status, headers);
    for (const [key, value] of headers) void reply.header(key, value);
    void reply.code(status === undefined ? 200 : status);
    if (body.kind === 'complete') return body.string;
    return reply.send(Readable.from(body.asyncIterator));
  };
}
