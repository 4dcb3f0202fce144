/**
 * Limits as data: every bound on what a client may send or make us do, in one typed object.
 * Validation, the JSON body parser, the GraphQL cost analysis and the README's limits table all
 * read it, so a limit changes in one place. Each limit has an environment setting (read by
 * config.ts through `loadLimits`), a default, and a line of documentation.
 */

export interface LimitSpec {
  /** Environment variable that overrides the default. */
  env: string;
  default: number;
  /** What it bounds, for the README table. */
  description: string;
}

export const LIMIT_SPECS = {
  bodyDepth: {
    env: 'LIMIT_BODY_DEPTH',
    default: 32,
    description: 'nesting depth of a JSON request body (REST and `/graphql`), arrays and objects alike',
  },
  graphqlMaxRows: {
    env: 'GRAPHQL_MAX_ROWS',
    default: 10_000,
    description: 'estimated rows one GraphQL operation may return (list fields multiplied by their `pageSize`)',
  },
  rateLimitWindowMs: {
    env: 'RATE_LIMIT_WINDOW_MS',
    default: 60_000,
    description: 'the rate-limit window, in milliseconds (the budgets below are per window)',
  },
  rateLimitMax: {
    env: 'RATE_LIMIT_MAX',
    default: 3_000,
    description: 'requests per window for one authenticated client (tenant + token subject)',
  },
  rateLimitAnonymousMax: {
    env: 'RATE_LIMIT_ANONYMOUS_MAX',
    default: 300,
    description: 'requests per window from one address without a token',
  },
  rateLimitAuthFailureMax: {
    env: 'RATE_LIMIT_AUTH_FAILURE_MAX',
    default: 30,
    description: 'requests per window from one address with a token that fails verification',
  },
  dbStatementTimeoutMs: {
    env: 'DB_STATEMENT_TIMEOUT_MS',
    default: 10_000,
    description:
      'time one SQL statement may take on MySQL/MariaDB before it fails and its connection is closed (migrations excepted)',
  },
  dbAcquireTimeoutMs: {
    env: 'DB_ACQUIRE_TIMEOUT_MS',
    default: 5_000,
    description: 'time a request may wait for a pooled database connection',
  },
  dbConnectTimeoutMs: {
    env: 'DB_CONNECT_TIMEOUT_MS',
    default: 3_000,
    description: 'time to open a new MySQL/MariaDB connection (TCP and handshake)',
  },
  healthTimeoutMs: {
    env: 'HEALTH_TIMEOUT_MS',
    default: 1_000,
    description: '`/health` answers 503 when the database has not answered within this time',
  },
} satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMIT_SPECS;
export type Limits = Record<LimitName, number>;

export class LimitConfigError extends Error {}

/** The limits in force for an environment: defaults, overridden by positive integer settings. */
export function loadLimits(env: Record<string, string | undefined> = process.env): Limits {
  const out = {} as Limits;
  for (const [name, spec] of Object.entries(LIMIT_SPECS) as [LimitName, LimitSpec][]) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[name] = spec.default;
      continue;
    }
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new LimitConfigError(`${spec.env} must be a positive integer, got "${raw}"`);
    out[name] = n;
  }
  return out;
}

let current: Limits = loadLimits({});

/**
 * The limits in force in this process. Validation runs deep inside modules that have no config
 * at hand, so buildApp installs the configured limits here once at start-up.
 */
export function limits(): Limits {
  return current;
}

export function setLimits(next: Limits): void {
  current = next;
}
