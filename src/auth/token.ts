import { SignJWT } from 'jose';

export interface SignTokenOptions {
  tenant: string;
  scopes: string[];
  customerId?: string;
  legalEntityId?: string;
  /** jose time span (`'30d'`, `'12h'`, `'90m'`); default `'1h'`. */
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

const DEFAULT_EXPIRES_IN = '1h';

/**
 * An HS256 access token in the shape the verifier reads: a `tenant` claim, the scopes as one
 * space-separated `scope` string, `sub` = customer. For development, tests and the token CLI;
 * production tokens come from the platform's identity provider.
 */
export async function signToken(secret: string, opts: SignTokenOptions): Promise<string> {
  if (!secret) throw new Error('signToken needs a secret');
  if (!opts.tenant) throw new Error('signToken needs a tenant');
  const claims: Record<string, string> = { tenant: opts.tenant, scope: opts.scopes.join(' ') };
  if (opts.legalEntityId) claims.legalEntityId = opts.legalEntityId;

  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    // Throws a TypeError on a malformed span, before anything is signed.
    .setExpirationTime(opts.expiresIn ?? DEFAULT_EXPIRES_IN);
  if (opts.customerId) jwt.setSubject(opts.customerId);
  if (opts.issuer) jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
