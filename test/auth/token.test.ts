import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEV_SECRET_FILE, ensureDevSecret } from '../../src/auth/dev-secret';
import { ALL_SCOPES, SCOPE } from '../../src/auth/scopes';
import { signToken } from '../../src/auth/token';
import { main } from '../../src/auth/token-cli';
import { createVerifier } from '../../src/auth/verifier';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-test-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('signToken', () => {
  it('HS256 with tenant claim, scope string, sub, legalEntityId, exp', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await signToken('s'.repeat(40), {
      tenant: 'acme',
      scopes: [SCOPE.read, SCOPE.manage],
      customerId: 'C1',
      legalEntityId: 'LE1',
      expiresIn: '30d',
      issuer: 'iss',
      audience: 'aud',
    });
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      tenant: 'acme',
      scope: `${SCOPE.read} ${SCOPE.manage}`,
      sub: 'C1',
      legalEntityId: 'LE1',
      iss: 'iss',
      aud: 'aud',
    });
    expect(claims.exp! - before).toBeGreaterThanOrEqual(30 * 86400 - 1);
    expect(claims.exp! - before).toBeLessThanOrEqual(30 * 86400 + 1);
  });

  it('defaults to one hour and omits absent optional claims', async () => {
    const claims = decodeJwt(await signToken('s'.repeat(40), { tenant: 'acme', scopes: [] }));
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims).not.toHaveProperty('sub');
    expect(claims).not.toHaveProperty('legalEntityId');
    expect(claims).not.toHaveProperty('iss');
  });

  it('rejects a malformed lifetime and an empty secret', async () => {
    await expect(signToken('s'.repeat(40), { tenant: 'acme', scopes: [], expiresIn: 'forever' })).rejects.toThrow();
    await expect(signToken('', { tenant: 'acme', scopes: [] })).rejects.toThrow();
  });
});

describe('ensureDevSecret', () => {
  it('creates the directory and a 0600 file with a 48-byte base64url secret, then reuses it', () => {
    const dir = path.join(tmp, 'nested', 'data');
    const secret = ensureDevSecret(dir);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const file = path.join(dir, DEV_SECRET_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(ensureDevSecret(dir)).toBe(secret);
    expect(fs.readdirSync(dir)).toEqual([DEV_SECRET_FILE]); // no temp files left behind
  });

  it('reads an existing secret', () => {
    fs.writeFileSync(path.join(tmp, DEV_SECRET_FILE), `${'k'.repeat(50)}\n`);
    expect(ensureDevSecret(tmp)).toBe('k'.repeat(50));
  });

  it('replaces an empty (damaged) file', () => {
    fs.writeFileSync(path.join(tmp, DEV_SECRET_FILE), '');
    const secret = ensureDevSecret(tmp);
    expect(secret).toHaveLength(64);
    expect(fs.readFileSync(path.join(tmp, DEV_SECRET_FILE), 'utf8').trim()).toBe(secret);
  });
});

describe('token CLI main()', () => {
  async function run(argv: string[], env: Record<string, string | undefined>) {
    let stdout = '';
    let stderr = '';
    const code = await main(
      argv,
      { NODE_ENV: 'test', DATA_DIR: tmp, ...env },
      {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
      },
    );
    return { code, stdout, stderr };
  }
  const SECRET = 'cli-secret-cli-secret-cli-secret-cli-secret';

  it('prints only a token signed with AUTH_JWT_SECRET, all three scopes by default', async () => {
    const r = await run(['--tenant', 'acme'], { AUTH_JWT_SECRET: SECRET });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const v = await createVerifier({ jwtSecret: SECRET }).verify(r.stdout.trim());
    expect(v.tenant).toBe('acme');
    expect([...v.scopes].sort()).toEqual([...ALL_SCOPES].sort());
  });

  it('passes scopes, customer, legal entity, lifetime, issuer and audience', async () => {
    const r = await run(
      ['--tenant', 'acme', '--scopes', `${SCOPE.readOwn}`, '--customer', 'C1', '--legal-entity', 'LE1', '--expires', '30d'],
      { AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: 'iss', AUTH_AUDIENCE: 'aud' },
    );
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    const v = await createVerifier({ jwtSecret: SECRET, issuer: 'iss', audience: 'aud' }).verify(token);
    expect(v).toMatchObject({ tenant: 'acme', customerId: 'C1', legalEntityId: 'LE1' });
    expect([...v.scopes]).toEqual([SCOPE.readOwn]);
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(30 * 86400);
  });

  it('accepts comma-separated scopes and warns about unknown ones on stderr', async () => {
    const r = await run(['--tenant', 'acme', '--scopes', `${SCOPE.read},other.scope`], { AUTH_JWT_SECRET: SECRET });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/other\.scope/);
    expect(decodeJwt(r.stdout.trim()).scope).toBe(`${SCOPE.read} other.scope`);
  });

  it('uses (and creates) the development secret when no auth is configured', async () => {
    const r = await run(['--tenant', 'acme'], {});
    expect(r.code).toBe(0);
    const secret = fs.readFileSync(path.join(tmp, DEV_SECRET_FILE), 'utf8').trim();
    await expect(createVerifier({ jwtSecret: secret }).verify(r.stdout.trim())).resolves.toMatchObject({ tenant: 'acme' });
    // The server would start with the same secret.
    expect(ensureDevSecret(tmp)).toBe(secret);
  });

  it('exits 2 when only a JWKS is configured', async () => {
    const r = await run(['--tenant', 'acme'], { AUTH_JWKS_URL: 'https://idp.example/jwks.json' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/JWKS/);
  });

  it('exits 2 on a configuration error', async () => {
    const r = await run(['--tenant', 'acme'], { NODE_ENV: 'production' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/AUTH_JWT_SECRET/);
  });

  it.each([
    [[]],
    [['--tenant']],
    [['--tenant', 'Acme!']],
    [['--tenant', 'ab']],
    [['--tenant', 'acme', '--bogus']],
    [['--tenant', 'acme', 'positional']],
    [['--tenant', 'acme', '--expires', 'forever']],
    [['--tenant', 'acme', '--expires', '-1h']],
    [['--tenant', 'acme', '--scopes', '  ']],
    [['--tenant', 'acme', '--scopes', 'tenant=other']],
    [['--tenant', 'acme', '--customer', '']],
  ])('usage error %j → exit 2, usage on stderr, nothing on stdout', async (argv) => {
    const r = await run(argv, { AUTH_JWT_SECRET: SECRET });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Usage: npm run token/);
  });

  it('--help prints usage and exits 0', async () => {
    const r = await run(['--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: npm run token/);
  });
});
