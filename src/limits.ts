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
