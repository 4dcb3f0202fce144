import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { UnauthenticatedError, UnavailableError } from '../errors';
import type { Viewer } from './viewer';

export interface TokenVerifier {
  /** Resolves the caller, or rejects with UnauthenticatedError ('invalid' | 'expired'). */
  verify(token: string): Promise<Viewer>;
  /**
   * The caller when this token was verified before and is still cached, without a promise
   * (the hot path of every authenticated request); undefined when it must be verified. Throws
   * UnauthenticatedError ('expired') like `verify` when the cached token has expired.
   */
  cached?(token: string): Viewer | undefined;
}

export interface VerifierOptions {
  jwtSecret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/** Tuning knobs, exposed for tests; production uses the defaults. */
export interface VerifierTuning {
  /** Verified tokens kept; the oldest entry is evicted beyond this. */
  cacheSize?: number;
  /**
   * Longest a verified token is trusted from the cache without re-verifying, even when its `exp`
   * is further away: bounds how long a key removed from the JWKS keeps admitting tokens. An entry
   * never outlives its token's `exp`.
   */
  cacheTtlMs?: number;
  /** Clock for the cache (ms since epoch). */
  now?: () => number;
  /** JWKS fetch timeout in ms (jose's default is 5 s). */
  jwksTimeoutMs?: number;
}

/**
 * The key set could not be fetched or read (endpoint down, timeout, not JSON). This is the
 * service's problem, not the caller's, so it is deliberately *not* an UnauthenticatedError: a
 * 401 would make clients throw away good tokens. It is a 503 (its message carries no upstream
 * detail; the cause is kept for the log).
 */
export class KeySetUnavailableError extends UnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('Token signing keys are unavailable; try again later', options);
    this.name = 'KeySetUnavailableError';
  }
}

const HS_ALGS = ['HS256'];
// docs/behaviour.md: a JWKS serves RS256 or ES256 keys; nothing else is accepted from it.
const JWKS_ALGS = ['RS256', 'ES256'];

const DEFAULT_CACHE_SIZE = 10_000;
const DEFAULT_CACHE_TTL_MS = 10 * 60_000;
/** Longer strings are verified every time: keeps the cache's memory bounded (≈ size × this). */
const MAX_CACHED_TOKEN_LENGTH = 4096;

const invalid = (): UnauthenticatedError => new UnauthenticatedError('Invalid access token', 'invalid');
const expired = (): UnauthenticatedError => new UnauthenticatedError('Access Token expired', 'expired');

interface CacheEntry {
  viewer: Viewer;
  /** `exp` in ms (every accepted token has one). */
  expMs: number;
  /** After this (ms) the entry is dropped and the token verified again; never after `expMs`. */
  staleAt: number;
}

export function createVerifier(auth: VerifierOptions, tuning: VerifierTuning = {}): TokenVerifier {
  const secret = auth.jwtSecret ? new TextEncoder().encode(auth.jwtSecret) : undefined;
  const jwks = auth.jwksUrl ? createRemoteJWKSet(new URL(auth.jwksUrl), { timeoutDuration: tuning.jwksTimeoutMs }) : undefined;
  if (!secret && !jwks) {
    // A verifier that accepts nothing would turn a configuration slip into a silent outage.
    throw new Error('createVerifier needs jwtSecret or jwksUrl');
  }

  const algorithms = [...(secret ? HS_ALGS : []), ...(jwks ? JWKS_ALGS : [])];
  // A token without `exp` would be valid forever: it is refused, like a malformed one.
  const options: JWTVerifyOptions = { algorithms, requiredClaims: ['exp'] };
  if (auth.issuer) options.issuer = auth.issuer;
  if (auth.audience) options.audience = auth.audience;

  // One key per algorithm family. jose has already rejected algorithms outside `algorithms`
  // before calling this, and it checks the key type against `alg`, so an RS256 public key can
  // never be used as an HMAC secret (algorithm confusion).
  const resolveKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (!jwks) throw invalid();
    try {
      return await jwks(header, token);
    } catch (err) {
      // An unknown `kid` (or an ambiguous one) is the token's fault; anything else — timeout,
      // non-200, unparsable JSON, network error — is the key set's.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new KeySetUnavailableError({ cause: err });
    }
  };

  const cacheSize = tuning.cacheSize ?? DEFAULT_CACHE_SIZE;
  const cacheTtlMs = tuning.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const now = tuning.now ?? Date.now;
  // Map iteration order is insertion order, so the first key is always the oldest entry.
  const cache = new Map<string, CacheEntry>();

  function fromCache(token: string): Viewer | undefined {
    const hit = cache.get(token);
    if (!hit) return undefined;
    const t = now();
    // jose treats `exp <= now` (whole seconds) as expired; mirror it so a cached token expires
    // at the same instant a fresh verification would say so.
    if (Math.floor(t / 1000) * 1000 >= hit.expMs) {
      cache.delete(token);
      throw expired();
    }
    if (t >= hit.staleAt) {
      cache.delete(token);
      return undefined;
    }
    return hit.viewer;
  }

  function remember(token: string, viewer: Viewer, exp: number): void {
    if (token.length > MAX_CACHED_TOKEN_LENGTH || cacheSize <= 0) return;
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    const expMs = exp * 1000;
    cache.set(token, { viewer, expMs, staleAt: Math.min(now() + cacheTtlMs, expMs) });
  }

  return {
    cached(token: string): Viewer | undefined {
      return typeof token === 'string' && token !== '' ? fromCache(token) : undefined;
    },
    async verify(token: string): Promise<Viewer> {
      if (typeof token !== 'string' || token === '') throw invalid();
      const cached = fromCache(token);
      if (cached) return cached;

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, resolveKey, options));
      } catch (err) {
        if (err instanceof KeySetUnavailableError) throw err;
        if (err instanceof errors.JWTExpired) throw expired();
        // Never pass jose's message on: it names claims and algorithms an attacker could probe.
        throw invalid();
      }
      const viewer = viewerFromClaims(payload);
      // jose has checked `exp` is present and a number (requiredClaims).
      remember(token, viewer, payload.exp as number);
      return viewer;
    },
  };
}

const TENANT_ENTRY = 'tenant=';

/**
 * Maps verified claims to a Viewer. Exported for tests. A known claim of the wrong type makes
 * the token invalid rather than being ignored: a half-read token is worse than a rejected one.
 */
export function viewerFromClaims(payload: JWTPayload): Viewer {
  const scopeClaim = payload.scope;
  const scpClaim = payload.scp;
  const entries: string[] = [];
  if (scopeClaim !== undefined) {
    if (typeof scopeClaim !== 'string') throw invalid();
    entries.push(...splitScopes(scopeClaim));
  }
  if (scpClaim !== undefined) {
    // `scp` is an array in most issuers; some (Azure AD) send a space-separated string.
    if (typeof scpClaim === 'string') entries.push(...splitScopes(scpClaim));
    else if (Array.isArray(scpClaim) && scpClaim.every((s): s is string => typeof s === 'string')) entries.push(...scpClaim);
    else throw invalid();
  }

  const scopes = new Set<string>();
  let scopeTenant: string | undefined;
  for (const entry of entries) {
    // The platform's tokens carry the tenant as a pseudo-scope; it grants nothing.
    if (entry.startsWith(TENANT_ENTRY)) scopeTenant ??= entry.slice(TENANT_ENTRY.length) || undefined;
    else if (entry !== '') scopes.add(entry);
  }

  const tenant = optionalString(payload.tenant) ?? scopeTenant;
  if (!tenant) throw invalid();

  const viewer: Viewer = { tenant, scopes };
  const sub = optionalString(payload.sub);
  const customerId = optionalString(payload.customerId) ?? sub;
  if (customerId !== undefined) viewer.customerId = customerId;
  const subject = sub ?? customerId;
  if (subject !== undefined) viewer.subject = subject;
  const legalEntityId = optionalString(payload.legalEntityId);
  if (legalEntityId !== undefined) viewer.legalEntityId = legalEntityId;
  // Cached viewers are shared between requests; freezing stops one request altering another's.
  return Object.freeze(viewer);
}

function splitScopes(value: string): string[] {
  return value.split(/\s+/).filter((s) => s !== '');
}

/** A non-empty string claim, undefined when absent or empty; any other type is invalid. */
function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid();
  return value === '' ? undefined : value;
}

/**
 * The token from an `Authorization` header: null when there is none; 401 when there is one that
 * is not `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1).
 */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^[ \t]*bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (!match) throw new UnauthenticatedError();
  return match[1] ?? null;
}
