import path from 'node:path';
import { LimitConfigError, type Limits, loadLimits } from './limits';

/**
 * The only reader of `process.env`. Everything the service can be told from outside is here,
 * typed and validated once; `knexfile.ts`, the server and the CLIs share it.
 */
export interface DbConfig {
  client: 'mysql' | 'sqlite';
  /** mysql: connection URL; sqlite: file path (or ':memory:'). */
  connection: string;
}

export interface AuthConfig {
  /** HS256 shared secret. */
  jwtSecret?: string;
  /** JWKS endpoint for RS256/ES256 tokens. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** True when neither a secret nor a JWKS was configured and a development secret is used. */
  devSecret: boolean;
}

export interface RateLimitConfig {
  /** RATE_LIMIT: on by default in production only. Budgets are in limits.ts. */
  enabled: boolean;
  /** RATE_LIMIT_REDIS_URL: counters shared by every instance; unset = in-process. */
  redisUrl?: string;
  /** Key prefix in Redis (RATE_LIMIT_REDIS_PREFIX), so services sharing a Redis stay apart. */
  redisPrefix: string;
}

export interface MetricsConfig {
  /**
   * METRICS_PORT: serve /metrics on this port only (not on the main one); unset = on the main
   * port. 0 takes any free port (tests).
   */
  port?: number;
  /** METRICS_HOST: the interface that port listens on; default HOST. Bind it to an internal one. */
  host: string;
  /** METRICS_TOKEN: on the main port, /metrics requires `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * METRICS_SQL_PER_REQUEST: the statements-per-request histogram. It follows each request's
   * async work (AsyncLocalStorage), which costs Node 20 about a sixth of the CPU of a primary-key
   * read; so it is off by default, except with tracing on, which follows that work already.
   */
  sqlPerRequest: boolean;
}

/** Tracing is on when an OTLP endpoint is configured through the standard variables. */
export interface TracingConfig {
  enabled: boolean;
  /** OTEL_SERVICE_NAME, or this service's name. */
  serviceName: string;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  db: DbConfig;
  /** Directory for the embedded SQLite file and the development secret. */
  dataDir: string;
  auth: AuthConfig;
  /** Language used when a plain string arrives without Content-Language, and the read fallback. */
  defaultLanguage: string;
  /** Whether "active" also requires now ∈ [validity.from, validity.to]. docs/behaviour.md: off. */
  activeRequiresValidity: boolean;
  /** GRAPHQL_INTROSPECTION: on in development, off in production unless switched on. */
  introspection: boolean;
  /** GRAPHQL_SANDBOX: the Apollo Sandbox landing page at GET /graphql; like introspection. */
  graphqlSandbox: boolean;
  /**
   * GRAPHQL_REPLAY: repeats of queries Apollo has served are answered without its per-request
   * pipeline (graphql/replay.ts). On by default, except with APOLLO_KEY set (Apollo then reports
   * usage per request, which a replayed request would skip); off, every request takes Apollo's
   * whole path.
   */
  graphqlReplay: boolean;
  /** Lets `extensions.stacktrace` and internal messages through. Never on by default. */
  debugErrors: boolean;
  /** Load the demo tenant into an empty database at start-up (development only). */
  seedDemo: boolean;
  logLevel: string;
  /**
   * LOG_FORMAT: `json` (one JSON object a line) or `pretty` (pino-pretty, for people). Unset:
   * pretty in development when stdout is a terminal, JSON otherwise.
   */
  logFormat: 'json' | 'pretty';
  metrics: MetricsConfig;
  /** Bounds on input and work per request (limits.ts). */
  limits: Limits;
  rateLimit: RateLimitConfig;
  /**
   * TRUST_PROXY: take the client address from X-Forwarded-For (behind a load balancer). `true`
   * (trust every hop), a hop count, or a comma-separated list of proxy addresses/CIDRs; default off.
   */
  trustProxy: boolean | number | string[];
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number, got "${raw}"`);
  return n;
}

export function dbConfigFromEnv(env: Env = process.env): DbConfig {
  const url = env.DATABASE_URL;
  if (url) {
    if (!/^mysql2?:\/\//.test(url)) throw new ConfigError('DATABASE_URL must be a mysql:// URL');
    return { client: 'mysql', connection: url };
  }
  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  return { client: 'sqlite', connection: env.SQLITE_FILE ?? path.join(dataDir, 'segments.sqlite') };
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const jwtSecret = env.AUTH_JWT_SECRET || undefined;
  const jwksUrl = env.AUTH_JWKS_URL || undefined;
  if (!jwtSecret && !jwksUrl && nodeEnv === 'production') {
    throw new ConfigError('NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL; refusing to start without auth');
  }
  const defaultLanguage = env.DEFAULT_LANGUAGE || 'en';
  return {
    env: nodeEnv,
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 4000),
    db: dbConfigFromEnv(env),
    dataDir: path.resolve(env.DATA_DIR ?? 'data'),
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: env.AUTH_ISSUER || undefined,
      audience: env.AUTH_AUDIENCE || undefined,
      devSecret: !jwtSecret && !jwksUrl,
    },
    defaultLanguage,
    activeRequiresValidity: bool(env, 'ACTIVE_REQUIRES_VALIDITY', false),
    introspection: bool(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    graphqlSandbox: bool(env, 'GRAPHQL_SANDBOX', nodeEnv !== 'production'),
    graphqlReplay: bool(env, 'GRAPHQL_REPLAY', !env.APOLLO_KEY),
    debugErrors: bool(env, 'DEBUG_ERRORS', false),
    seedDemo: bool(env, 'SEED_DEMO', nodeEnv === 'development'),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: logFormat(env.LOG_FORMAT, nodeEnv === 'development' && process.stdout.isTTY === true),
    metrics: {
      port: env.METRICS_PORT ? int(env, 'METRICS_PORT', 0) : undefined,
      host: env.METRICS_HOST || env.HOST || '127.0.0.1',
      token: env.METRICS_TOKEN || undefined,
      sqlPerRequest: bool(env, 'METRICS_SQL_PER_REQUEST', tracingConfig(env).enabled),
    },
    limits: limitsFrom(env),
    rateLimit: {
      enabled: bool(env, 'RATE_LIMIT', nodeEnv === 'production'),
      redisUrl: redisUrl(env),
      redisPrefix: env.RATE_LIMIT_REDIS_PREFIX || 'csg-rate-limit:',
    },
    trustProxy: trustProxy(env.TRUST_PROXY),
  };
}

function logFormat(raw: string | undefined, terminal: boolean): 'json' | 'pretty' {
  if (raw === undefined || raw === '') return terminal ? 'pretty' : 'json';
  if (raw === 'json' || raw === 'pretty') return raw;
  throw new ConfigError(`LOG_FORMAT must be json or pretty, got "${raw}"`);
}

/**
 * Read on its own, before anything else is loaded (tracing/register.ts): instrumentation has to
 * be in place before the modules it instruments are required. The OTLP exporter reads the rest
 * of the standard OTEL_* variables (headers, timeout, protocol) itself.
 */
export function tracingConfig(env: Env = process.env): TracingConfig {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = /^true$/i.test(env.OTEL_SDK_DISABLED ?? '') || env.OTEL_TRACES_EXPORTER === 'none';
  return { enabled: Boolean(endpoint) && !disabled, serviceName: env.OTEL_SERVICE_NAME || 'customer-segment-gateway' };
}

function limitsFrom(env: Env): Limits {
  try {
    return loadLimits(env);
  } catch (e) {
    if (e instanceof LimitConfigError) throw new ConfigError(e.message);
    throw e;
  }
}

function redisUrl(env: Env): string | undefined {
  const url = env.RATE_LIMIT_REDIS_URL || undefined;
  if (url && !/^rediss?:\/\//.test(url)) throw new ConfigError('RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL');
  return url;
}

function trustProxy(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^(true|yes|on)$/i.test(raw)) return true;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
