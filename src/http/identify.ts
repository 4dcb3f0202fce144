import type { FastifyInstance } from 'fastify';
import { bearerToken, KeySetUnavailableError, type TokenVerifier } from '../auth/verifier';
import type { Viewer } from '../auth/viewer';
import { UnauthenticatedError } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; null without a token or with a token that failed. */
    viewer: Viewer | null;
    /** Why the token presented was refused (or could not be checked); null when none was refused. */
    authFailure: UnauthenticatedError | KeySetUnavailableError | null;
  }
}

/**
 * Who is calling, established first thing (onRequest), before the body is read: the rate limit
 * keys on it, and docs/behaviour.md puts the token check ahead of any input check — a malformed body
 * from a foreign-tenant token is a 401, not a 400. This hook only records; each face decides
 * what a missing or refused token means for its routes.
 */
export function registerIdentify(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest('viewer', null);
  app.decorateRequest('authFailure', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    try {
      const token = bearerToken(header);
      if (token) request.viewer = await verifier.verify(token);
    } catch (e) {
      if (e instanceof UnauthenticatedError || e instanceof KeySetUnavailableError) request.authFailure = e;
      else throw e;
    }
  });
}
