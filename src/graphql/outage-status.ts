import type { GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { UNAVAILABLE_RETRY_AFTER_S } from '../db/errors';
import type { Context } from './context';
import { isOutage } from './format-error';

/**
 * GraphQL keeps "200 with errors", except when the database being unavailable is the whole
 * story: when every error of a response is that (formatError codes them SERVICE_UNAVAILABLE),
 * the response is an HTTP 503 with Retry-After, as on REST, so load balancers, proxies and
 * client retry policies see an outage for what it is. A response with any other error stays as
 * GraphQL would have it.
 */
export function outageStatus({ errors, response }: GraphQLRequestContextWillSendResponse<Context>): void {
  if (!errors?.length || !errors.every((e) => isOutage(unwrapResolverError(e)))) return;
  response.http.status = 503;
  response.http.headers.set('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
}
