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
  // Callback form: a token verified before (cached by the verifier) costs no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined) return done();
    const refused = (e: unknown): void => {
      if (e instanceof UnauthenticatedError || e instanceof KeySetUnavailableError) {
        request.authFailure = e;
        done();
      } else done(e as Error);
    };
    let token: string | null;
    try {
      token = bearerToken(header);
      if (!token) return done();
      const viewer = verifier.cached?.(token);
      if (viewer) {
        request.viewer = viewer;
        return done();
      }
    } catch (e) {
      return refused(e);
    }
    verifier.verify(token).then((viewer) => {
      request.viewer = viewer;
      done();
    }, refused);
  });
}
