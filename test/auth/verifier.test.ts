import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { JWTPayload, KeyLike } from 'jose';
import { UnauthenticatedError } from '../../src/errors';
import { SCOPE } from '../../src/auth/scopes';
import { KeySetUnavailableError, bearerToken, createVerifier, viewerFromClaims } from '../../src/auth/verifier';
import { signToken } from '../../src/auth/token';

const SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
const key = new TextEncoder().encode(SECRET);
const nowSec = (): number => Math.floor(Date.now() / 1000);

function hs256(
  claims: JWTPayload,
  opts: { exp?: number | string | null; iss?: string; aud?: string; secret?: Uint8Array } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  // Every accepted token carries exp; `exp: null` leaves it out.
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? '1h');
  if (opts.iss) jwt.setIssuer(opts.iss);
  if (opts.aud) jwt.setAudience(opts.aud);
  return jwt.sign(opts.secret ?? key);
}

/** Resolves to the UnauthenticatedError a promise rejects with (fails the test otherwise). */
async function unauth(p: Promise<unknown>): Promise<UnauthenticatedError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UnauthenticatedError);
    return err as UnauthenticatedError;
  }
  throw new Error('expected a rejection');
}

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  const err = await unauth(p);
  expect(err.reason).toBe('invalid');
  expect(err.message).toBe('Invalid access token');
}

describe('HS256 verifier', () => {
  const verifier = createVerifier({ jwtSecret: SECRET });

  it('reads tenant claim, scope string, customerId and legalEntityId', async () => {
    const token = await hs256(
      { tenant: 'acme', scope: `${SCOPE.read} ${SCOPE.manage}`, customerId: 'C1', sub: 'ignored', legalEntityId: 'LE1' },
      { exp: '1h' },
    );
    const v = await verifier.verify(token);
    expect(v.tenant).toBe('acme');
    expect([...v.scopes].sort()).toEqual([SCOPE.manage, SCOPE.read]);
    expect(v.customerId).toBe('C1');
    expect(v.legalEntityId).toBe('LE1');
  });

  it('takes the tenant from a tenant= scope entry, which is not a scope', async () => {
    const token = await hs256({ scope: `tenant=acme  ${SCOPE.readOwn}`, sub: 'C9' }, { exp: '1h' });
    const v = await verifier.verify(token);
    expect(v.tenant).toBe('acme');
    expect([...v.scopes]).toEqual([SCOPE.readOwn]);
    expect(v.customerId).toBe('C9');
    expect(v.legalEntityId).toBeUndefined();
  });

  it('the tenant claim wins over a tenant= entry', async () => {
    const v = await verifier.verify(await hs256({ tenant: 'claim', scope: 'tenant=entry' }));
    expect(v.tenant).toBe('claim');
    expect(v.scopes.size).toBe(0);
  });

  it('reads scopes from an scp array (and merges with scope)', async () => {
    const v = await verifier.verify(await hs256({ tenant: 'acme', scp: [SCOPE.read, 'tenant=x'], scope: SCOPE.manage }));
    expect([...v.scopes].sort()).toEqual([SCOPE.manage, SCOPE.read]);
    expect(v.tenant).toBe('acme');
  });

  it('refuses a token without exp (it would never expire)', async () => {
    await expectInvalid(verifier.verify(await hs256({ tenant: 'acme' }, { exp: null })));
    await expectInvalid(verifier.verify(await hs256({ tenant: 'acme', exp: 'soon' as unknown as number }, { exp: null })));
  });

  it('a token without any tenant is invalid', async () => {
    await expectInvalid(verifier.verify(await hs256({ scope: SCOPE.read, sub: 'C1' }, { exp: '1h' })));
    await expectInvalid(verifier.verify(await hs256({ scope: `tenant= ${SCOPE.read}` })));
    await expectInvalid(verifier.verify(await hs256({ tenant: '' })));
  });

  it('claims of the wrong type make the token invalid', async () => {
    await expectInvalid(verifier.verify(await hs256({ tenant: 42 })));
    await expectInvalid(verifier.verify(await hs256({ tenant: 'acme', scope: ['a'] })));
    await expectInvalid(verifier.verify(await hs256({ tenant: 'acme', scp: [1, 2] })));
    await expectInvalid(verifier.verify(await hs256({ tenant: 'acme', customerId: { id: 1 } })));
  });

  it('wrong secret → invalid, without jose wording', async () => {
    const token = await hs256({ tenant: 'acme' }, { secret: new TextEncoder().encode('another-secret-another-secret-another') });
    const err = await unauth(verifier.verify(token));
    expect(err.reason).toBe('invalid');
    expect(err.message).toBe('Invalid access token');
    expect(JSON.stringify({ ...err, message: err.message })).not.toMatch(/signature/i);
  });

  it('malformed tokens → invalid', async () => {
    for (const t of ['', 'abc', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9..', `${await hs256({ tenant: 'acme' })}x`]) {
      await expectInvalid(verifier.verify(t));
    }
  });

  it('alg none and tampered payloads → invalid', async () => {
    const good = await hs256({ tenant: 'acme', scope: SCOPE.read });
    const [h, , s] = good.split('.');
    const payload = Buffer.from(JSON.stringify({ tenant: 'acme', scope: SCOPE.manage })).toString('base64url');
    await expectInvalid(verifier.verify(`${h}.${payload}.${s}`));
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await expectInvalid(verifier.verify(`${none}.${payload}.`));
  });

  it('expired → reason expired, "Access Token expired"', async () => {
    const err = await unauth(verifier.verify(await hs256({ tenant: 'acme' }, { exp: nowSec() - 10 })));
    expect(err.reason).toBe('expired');
    expect(err.message).toBe('Access Token expired');
  });

  it('an expired token with a bad signature is invalid, not expired', async () => {
    const token = await hs256({ tenant: 'acme' }, { exp: nowSec() - 10, secret: new TextEncoder().encode('x'.repeat(40)) });
    await expectInvalid(verifier.verify(token));
  });

  it('a token not yet valid (nbf) is invalid', async () => {
    const token = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore(nowSec() + 3600)
      .sign(key);
    await expectInvalid(verifier.verify(token));
  });

  it('rejects HS384/HS512 tokens: only HS256 is configured', async () => {
    const token = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'HS512' }).sign(key);
    await expectInvalid(verifier.verify(token));
  });

  it('checks issuer and audience when configured', async () => {
    const strict = createVerifier({ jwtSecret: SECRET, issuer: 'https://idp', audience: 'segments' });
    await expect(strict.verify(await hs256({ tenant: 'acme' }, { iss: 'https://idp', aud: 'segments' }))).resolves.toMatchObject({
      tenant: 'acme',
    });
    await expectInvalid(strict.verify(await hs256({ tenant: 'acme' }, { iss: 'https://evil', aud: 'segments' })));
    await expectInvalid(strict.verify(await hs256({ tenant: 'acme' }, { iss: 'https://idp', aud: 'other' })));
    await expectInvalid(strict.verify(await hs256({ tenant: 'acme' })));
  });

  it('verifies what signToken signs', async () => {
    const token = await signToken(SECRET, {
      tenant: 'acme',
      scopes: [SCOPE.readOwn],
      customerId: 'C1',
      legalEntityId: 'LE1',
      expiresIn: '30d',
      issuer: 'iss',
      audience: 'aud',
    });
    const v = await createVerifier({ jwtSecret: SECRET, issuer: 'iss', audience: 'aud' }).verify(token);
    expect(v).toMatchObject({ tenant: 'acme', customerId: 'C1', legalEntityId: 'LE1' });
    expect([...v.scopes]).toEqual([SCOPE.readOwn]);
  });

  it('refuses to build without any key', () => {
    expect(() => createVerifier({})).toThrow(/jwtSecret or jwksUrl/);
  });
});

describe('verified-token cache', () => {
  it('returns the cached viewer for the same token', async () => {
    const verifier = createVerifier({ jwtSecret: SECRET });
    const token = await hs256({ tenant: 'acme' }, { exp: '1h' });
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('a cached token past its exp yields expired', async () => {
    let now = Date.now();
    const verifier = createVerifier({ jwtSecret: SECRET }, { now: () => now });
    const exp = nowSec() + 60;
    const token = await hs256({ tenant: 'acme' }, { exp });
    await verifier.verify(token);
    now = exp * 1000 - 1; // one ms before: still fine
    await expect(verifier.verify(token)).resolves.toMatchObject({ tenant: 'acme' });
    now = exp * 1000; // jose's rule: exp <= now is expired
    const err = await unauth(verifier.verify(token));
    expect(err.reason).toBe('expired');
  });

  it('really expires: a short-lived token is expired on the second call', async () => {
    const verifier = createVerifier({ jwtSecret: SECRET });
    const token = await hs256({ tenant: 'acme' }, { exp: nowSec() + 1 });
    await verifier.verify(token);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await unauth(verifier.verify(token))).reason).toBe('expired');
  });

  it('evicts the oldest entry beyond its size', async () => {
    const verifier = createVerifier({ jwtSecret: SECRET }, { cacheSize: 2 });
    const tokens = await Promise.all(['a', 'b', 'c'].map((t) => hs256({ tenant: `t${t}x` }, { exp: '1h' })));
    const [a, b, c] = tokens as [string, string, string];
    const va = await verifier.verify(a);
    const vb = await verifier.verify(b);
    await verifier.verify(c); // evicts a
    expect(await verifier.verify(b)).toBe(vb);
    const va2 = await verifier.verify(a);
    expect(va2).not.toBe(va);
    expect(va2).toEqual(va);
  });

  it('re-verifies after the cache TTL even when exp is far', async () => {
    let now = Date.now();
    const verifier = createVerifier({ jwtSecret: SECRET }, { now: () => now, cacheTtlMs: 1000 });
    const token = await hs256({ tenant: 'acme' }, { exp: '1h' });
    const v1 = await verifier.verify(token);
    now += 1001;
    const v2 = await verifier.verify(token);
    expect(v2).not.toBe(v1);
    expect(v2).toEqual(v1);
  });

  it('a cached verification never outlives the token, whatever the cache TTL', async () => {
    let now = Date.now();
    const verifier = createVerifier({ jwtSecret: SECRET }, { now: () => now, cacheTtlMs: 3_600_000 });
    const exp = nowSec() + 60;
    const token = await hs256({ tenant: 'acme' }, { exp });
    await verifier.verify(token);
    now = exp * 1000 - 1000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ tenant: 'acme' });
    now = exp * 1000;
    expect((await unauth(verifier.verify(token))).reason).toBe('expired');
  });

  it('does not cache failures', async () => {
    const verifier = createVerifier({ jwtSecret: SECRET });
    await expectInvalid(verifier.verify('nope'));
    await expectInvalid(verifier.verify('nope'));
  });
});

describe('JWKS verifier (RS256 / ES256)', () => {
  let server: http.Server;
  let url: string;
  let requests = 0;
  let status = 200;
  let rsa: { publicKey: KeyLike; privateKey: KeyLike };
  let ec: { publicKey: KeyLike; privateKey: KeyLike };

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = http.createServer((req, res) => {
      requests++;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ keys }) : 'oops');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sign = (
    alg: 'RS256' | 'ES256',
    claims: JWTPayload,
    kid: string,
    privateKey: KeyLike,
    exp: number | string = '1h',
  ): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime(exp).sign(privateKey);

  it('verifies an RS256 token against the served key set', async () => {
    const verifier = createVerifier({ jwksUrl: url });
    const v = await verifier.verify(
      await sign('RS256', { scope: `tenant=acme ${SCOPE.read}`, sub: 'C1' }, 'rsa-1', rsa.privateKey),
    );
    expect(v).toMatchObject({ tenant: 'acme', customerId: 'C1' });
    expect([...v.scopes]).toEqual([SCOPE.read]);
    expect(requests).toBeGreaterThan(0);
  });

  it('verifies an ES256 token', async () => {
    const verifier = createVerifier({ jwksUrl: url });
    await expect(verifier.verify(await sign('ES256', { tenant: 'acme' }, 'ec-1', ec.privateKey))).resolves.toMatchObject({
      tenant: 'acme',
    });
  });

  it('expired RS256 token → expired', async () => {
    const verifier = createVerifier({ jwksUrl: url });
    const err = await unauth(verifier.verify(await sign('RS256', { tenant: 'acme' }, 'rsa-1', rsa.privateKey, nowSec() - 5)));
    expect(err.reason).toBe('expired');
  });

  it('a token signed by another key or naming an unknown kid → invalid', async () => {
    const verifier = createVerifier({ jwksUrl: url });
    const other = await generateKeyPair('RS256');
    await expectInvalid(verifier.verify(await sign('RS256', { tenant: 'acme' }, 'rsa-1', other.privateKey)));
    await expectInvalid(verifier.verify(await sign('RS256', { tenant: 'acme' }, 'nope', other.privateKey)));
  });

  it('HS256 is not accepted from a JWKS-only verifier (no algorithm confusion)', async () => {
    const verifier = createVerifier({ jwksUrl: url });
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(pem));
    await expectInvalid(verifier.verify(forged));
  });

  it('with both a secret and a JWKS, each token uses its own kind of key', async () => {
    const verifier = createVerifier({ jwtSecret: SECRET, jwksUrl: url });
    await expect(verifier.verify(await hs256({ tenant: 'hs' }))).resolves.toMatchObject({ tenant: 'hs' });
    await expect(verifier.verify(await sign('RS256', { tenant: 'rs' }, 'rsa-1', rsa.privateKey))).resolves.toMatchObject({
      tenant: 'rs',
    });
  });

  it('an unreachable or broken key set is KeySetUnavailableError, not a 401', async () => {
    const token = await sign('RS256', { tenant: 'acme' }, 'rsa-1', rsa.privateKey);
    status = 500;
    try {
      const broken = createVerifier({ jwksUrl: url });
      const err = await broken.verify(token).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeySetUnavailableError);
      expect((err as Error).message).not.toMatch(/200|HTTP/);
    } finally {
      status = 200;
    }
    // A port nothing listens on: take one from a server that is then closed.
    const tmp = http.createServer();
    await new Promise<void>((resolve) => tmp.listen(0, '127.0.0.1', resolve));
    const port = (tmp.address() as AddressInfo).port;
    await new Promise((resolve) => tmp.close(resolve));
    const down = createVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` }, { jwksTimeoutMs: 1000 });
    await expect(down.verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
  });
});

describe('viewerFromClaims', () => {
  it('customerId claim wins over sub; empty strings count as absent', () => {
    expect(viewerFromClaims({ tenant: 't', customerId: 'C', sub: 'S' }).customerId).toBe('C');
    expect(viewerFromClaims({ tenant: 't', customerId: '', sub: 'S' }).customerId).toBe('S');
    expect(viewerFromClaims({ tenant: 't' }).customerId).toBeUndefined();
  });

  it('accepts scp as a space-separated string too', () => {
    expect([...viewerFromClaims({ tenant: 't', scp: 'a b' }).scopes]).toEqual(['a', 'b']);
  });
});

describe('bearerToken', () => {
  it('null when the header is absent', () => {
    expect(bearerToken(undefined)).toBeNull();
  });

  it('extracts the token, scheme case-insensitive', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER   abc  ')).toBe('abc');
  });

  it('401 for anything else', () => {
    for (const h of ['', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc.def.ghi', 'Bearer a b', 'Bearerabc']) {
      expect(() => bearerToken(h)).toThrow(UnauthenticatedError);
    }
  });
});
