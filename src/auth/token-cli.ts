import { isTenant, TENANT_RULE } from './tenant';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { ensureDevSecret } from './dev-secret';
import { ALL_SCOPES } from './scopes';
import { signToken } from './token';

/**
 * `npm run token -- --tenant T [--scopes "a b"] [--customer C] [--legal-entity L] [--expires 30d]`
 * prints an HS256 access token for the configured secret (AUTH_JWT_SECRET, or the development
 * secret in DATA_DIR) — and only the token, so `TOKEN=$(npm run token --silent -- …)` works.
 */
export const USAGE = `Usage: npm run token -- --tenant <tenant> [options]

Prints an access token signed with AUTH_JWT_SECRET (or the development secret).

Options:
  --tenant <tenant>          tenant the token is valid for (required; ^[a-z][a-z0-9]+$, 3-16 chars)
  --scopes "<s1> <s2>"       space- or comma-separated scopes (default: all three:
                             ${ALL_SCOPES.join(' ')})
  --customer <id>            customer id (sub), for customersegment.segment_read_own
  --legal-entity <id>        legalEntityId claim
  --expires <span>           lifetime such as 30m, 12h, 30d (default: 24h)
  -h, --help                 this text
`;

/** Where the CLI writes; process streams in production, buffers in tests. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const DEFAULT_EXPIRES = '24h';
// jose's own span syntax, checked here so a typo is a usage error (exit 2), not a stack trace.
const SPAN_RE =
  /^\d+(\.\d+)? ?(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|y|yr|yrs|year|years)$/i;

/** Runs the CLI; resolves to the exit code (0 ok, 1 unexpected failure, 2 usage/configuration). */
export async function main(argv: string[], env: Record<string, string | undefined>, out: CliOutput): Promise<number> {
  const usageError = (message: string): number => {
    out.stderr(`error: ${message}\n\n${USAGE}`);
    return 2;
  };

  let values: { tenant?: string; scopes?: string; customer?: string; 'legal-entity'?: string; expires?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        scopes: { type: 'string' },
        customer: { type: 'string' },
        'legal-entity': { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // parseArgs' messages are about the command line the user typed, safe and useful to show.
    return usageError(err instanceof Error ? err.message : 'bad arguments');
  }

  if (values.help) {
    out.stdout(USAGE);
    return 0;
  }
  const tenant = values.tenant;
  if (!tenant) return usageError('--tenant is required');
  if (!isTenant(tenant)) return usageError(`--tenant "${tenant}" is not a valid tenant (${TENANT_RULE})`);

  const scopes = values.scopes === undefined ? [...ALL_SCOPES] : values.scopes.split(/[\s,]+/).filter((s) => s !== '');
  if (scopes.length === 0) return usageError('--scopes is empty');
  const pseudo = scopes.find((s) => s.startsWith('tenant='));
  if (pseudo) return usageError(`--scopes must not contain "${pseudo}"; use --tenant`);
  const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) out.stderr(`warning: not a customer-segment scope: ${unknown.join(' ')}\n`);

  const expiresIn = values.expires ?? DEFAULT_EXPIRES;
  if (!SPAN_RE.test(expiresIn)) return usageError(`--expires "${expiresIn}" is not a time span such as 30m, 12h or 30d`);
  for (const [flag, value] of [
    ['--customer', values.customer],
    ['--legal-entity', values['legal-entity']],
  ] as const) {
    if (value !== undefined && value.trim() === '') return usageError(`${flag} is empty`);
  }

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      out.stderr(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let secret: string;
  if (config.auth.jwtSecret) secret = config.auth.jwtSecret;
  else if (config.auth.devSecret) secret = ensureDevSecret(config.dataDir);
  else {
    out.stderr(
      'error: only AUTH_JWKS_URL is configured; tokens for it come from its identity provider.\n' +
        'This tool signs HS256 tokens and needs AUTH_JWT_SECRET (or no auth configuration, for the development secret).\n',
    );
    return 2;
  }

  const token = await signToken(secret, {
    tenant,
    scopes,
    customerId: values.customer,
    legalEntityId: values['legal-entity'],
    expiresIn,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  out.stdout(`${token}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
