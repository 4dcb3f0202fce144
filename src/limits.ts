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
  /** The highest value a setting may take, where a column size fixes it (a larger one needs a migration). */
  max?: number;
  /** The lowest value a setting may take; 1 unless said (0 turns a delay off). */
  min?: number;
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
  // Client input, checked field by field in modules/shared/input-limits.ts (both faces and the import).
  jsonDepth: {
    env: 'LIMIT_JSON_DEPTH',
    default: 16,
    description:
      "nesting depth of a free-form JSON field (`mixins`, `metadata.mixins`); the field's own object is level 1, arrays count like objects",
  },
  jsonBytes: {
    env: 'LIMIT_JSON_BYTES',
    default: 64 * 1024,
    description: 'size in bytes of a free-form JSON field (`mixins`, `metadata.mixins`) serialized as UTF-8 JSON',
  },
  nameLength: {
    env: 'LIMIT_NAME_LENGTH',
    default: 500,
    description: 'characters in each language of a localized `name` or `slug` (segments, products, categories)',
  },
  descriptionLength: {
    env: 'LIMIT_DESCRIPTION_LENGTH',
    default: 5000,
    description: 'characters in each language of a localized `description` (segments, categories)',
  },
  localizedLanguages: {
    env: 'LIMIT_LOCALIZED_LANGUAGES',
    default: 50,
    description: 'languages in one localized map (`name`, `description`, `slug`)',
  },
  textLength: {
    env: 'LIMIT_TEXT_LENGTH',
    default: 255,
    max: 255,
    description:
      'characters in a plain text field: `siteCode`, product and category `code`, each `ecn` entry, customer `firstName`, `lastName` and `email`, legal entity `name`',
  },
  idLength: {
    env: 'LIMIT_ID_LENGTH',
    default: 64,
    max: 64,
    description:
      'characters in an id (segment, customer, legal entity, product, category) in a path, body, GraphQL argument or import line',
  },
  shutdownDelayMs: {
    env: 'SHUTDOWN_DELAY_MS',
    default: 0,
    min: 0,
    description: 'on SIGTERM, how long `/health` answers 503 before the listener closes (give the load balancer time to notice)',
  },
  shutdownTimeoutMs: {
    env: 'SHUTDOWN_TIMEOUT_MS',
    default: 10_000,
    description: 'on SIGTERM, how long in-flight requests may take to finish before their connections are cut',
  },
  graphqlDocumentCacheSize: {
    env: 'GRAPHQL_DOCUMENT_CACHE_SIZE',
    default: 1_000,
    description: 'parsed and validated GraphQL documents kept for reuse (least recently used go first)',
  },
  graphqlDocumentCacheBytes: {
    env: 'GRAPHQL_DOCUMENT_CACHE_BYTES',
    default: 16 * 1024 * 1024,
    description: 'estimated heap bytes of those documents (about 400 bytes per token)',
  },
  graphqlCompiledCacheSize: {
    env: 'GRAPHQL_COMPILED_CACHE_SIZE',
    default: 500,
    description: 'GraphQL operations kept compiled by graphql-jit (least recently used go first)',
  },
  graphqlCompiledCacheBytes: {
    env: 'GRAPHQL_COMPILED_CACHE_BYTES',
    default: 32 * 1024 * 1024,
    description: 'estimated heap bytes of those compiled operations (about 8 KiB per selected field)',
  },
  categoryTreeCacheSize: {
    env: 'CATEGORY_TREE_CACHE_SIZE',
    default: 200,
    description:
      'category trees kept built, one per tenant and set of active segments (least recently used go first; 0 keeps none)',
    min: 0,
  },
  categoryTreeCacheBytes: {
    env: 'CATEGORY_TREE_CACHE_BYTES',
    default: 64 * 1024 * 1024,
    description: 'estimated heap bytes of those trees and of their serialized REST answers',
  },
  categoryCoverCacheSize: {
    env: 'CATEGORY_COVER_CACHE_SIZE',
    default: 2000,
    description:
      "what product matches use in memory: each tenant's category parent links and each segment's valid CATEGORY and PRODUCT assignments, kept per version (least recently used go first; 0 keeps none: matches walk and probe in SQL)",
    min: 0,
  },
  categoryCoverCacheBytes: {
    env: 'CATEGORY_COVER_CACHE_BYTES',
    default: 64 * 1024 * 1024,
    description:
      'estimated heap bytes of those; a tenant or segment that would take over a quarter of it is not kept (its matches walk or probe in SQL)',
  },
  dbTxMaxAttempts: {
    env: 'DB_TX_MAX_ATTEMPTS',
    default: 5,
    description:
      'attempts of one write transaction that meets a deadlock, a lock-wait timeout, a busy SQLite file or a lost creation race (the first included)',
  },
  dbTxRetryBaseMs: {
    env: 'DB_TX_RETRY_BASE_MS',
    default: 20,
    description: 'backoff before the first retry of a write transaction, in milliseconds; doubles per retry, with full jitter',
  },
  dbTxRetryMaxMs: {
    env: 'DB_TX_RETRY_MAX_MS',
    default: 1_000,
    description: 'the longest backoff between two attempts of a write transaction, in milliseconds',
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
  metricsOperationNames: {
    env: 'METRICS_OPERATION_NAMES',
    default: 100,
    description:
      'distinct GraphQL operation names /metrics labels (clients choose them); later ones, and names over 100 characters, count as `other`',
  },
  ruleLength: {
    env: 'LIMIT_RULE_LENGTH',
    default: 4000,
    max: 4000,
    description: 'characters in a segment `customerRule` or `itemRule` (q-language, like `q`)',
  },
  rulesStatementTimeoutMs: {
    env: 'RULES_STATEMENT_TIMEOUT_MS',
    default: 120_000,
    description: 'time one rule-evaluation statement may take (a whole segment over a large store), in ms',
  },
  rulesIntervalMs: {
    env: 'RULES_INTERVAL_MS',
    default: 300_000,
    description: 'how often rules that read the clock (`now-180d`), and evaluations that failed, are evaluated again, in ms',
  },
} satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMIT_SPECS;
export type Limits = Record<LimitName, number>;

export class LimitConfigError extends Error {}

/** The limits in force for an environment: defaults, overridden by integer settings within bounds. */
export function loadLimits(env: Record<string, string | undefined> = process.env): Limits {
  const out = {} as Limits;
  for (const [name, spec] of Object.entries(LIMIT_SPECS) as [LimitName, LimitSpec][]) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[name] = spec.default;
      continue;
    }
    const n = Number(raw);
    const min = spec.min ?? 1;
    if (!Number.isSafeInteger(n) || n < min) {
      throw new LimitConfigError(`${spec.env} must be an integer of at least ${min}, got "${raw}"`);
    }
    if (spec.max !== undefined && n > spec.max) {
      throw new LimitConfigError(`${spec.env} must be at most ${spec.max} (the column size), got "${raw}"`);
    }
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
