import { Readable } from 'node:stream';
import { type ApolloServer, type BaseContext, type HTTPGraphQLRequest, HeaderMap } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';

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
 * string (searchOf): that integration parses a URL for every request.
 */
export function apolloHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<TContext>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<string | FastifyReply> {
  apollo.assertStarted('apolloHandler()');
  return async (request, reply) => {
    const { headers, body, status } = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: toGraphQLRequest(request),
      context: () => context(request, reply),
    });
    for (const [key, value] of headers) void reply.header(key, value);
    void reply.code(status === undefined ? 200 : status);
    if (body.kind === 'complete') return body.string;
    return reply.send(Readable.from(body.asyncIterator));
  };
}
