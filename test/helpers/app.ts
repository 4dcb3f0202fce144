import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app';
import { ALL_SCOPES, SCOPE } from '../../src/auth/scopes';
import { signToken } from '../../src/auth/token';
import { type Config, type DbConfig, loadConfig } from '../../src/config';
import { type Database, openDatabase } from '../../src/db/knex';
import type { Services } from '../../src/graphql/context';
import type { OperationReplay } from '../../src/graphql/replay';
import type { Lifecycle } from '../../src/http/lifecycle';
import type { RuleScheduler } from '../../src/modules/rules/rule.scheduler';
import { createTestDatabase } from './db';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export { SCOPE, ALL_SCOPES };

export interface TokenOptions {
  tenant?: string;
  scopes?: string[];
  customerId?: string;
  legalEntityId?: string;
  expiresIn?: string;
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  lifecycle: Lifecycle;
  ruleScheduler: RuleScheduler;
  /** graphql/replay.ts, when on: its `answered` count shows which requests it served. */
  replay?: OperationReplay;
  db: Database;
  config: Config;
  token: (opts?: TokenOptions) => Promise<string>;
  /** REST call under /customer-segment/{tenant}; `token: null` sends no Authorization header. */
  rest: (
    method: InjectOptions['method'],
    path: string,
    opts?: { body?: unknown; token?: string | null; headers?: Record<string, string>; tenant?: string },
  ) => Promise<LightMyRequestResponse>;
  /** A GraphQL operation through /graphql, like any client. */
  gql: <T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    opts?: { token?: string | null; headers?: Record<string, string> },
  ) => Promise<{ status: number; data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  /** Listens on a free loopback port (real HTTP) and returns the base URL. */
  listen: () => Promise<string>;
  close: () => Promise<void>;
}

/** Knex's console warnings (failed acquires, broken connections) are expected in fault tests. */
const SILENT_KNEX_LOG = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };

export interface TestAppOptions {
  /**
   * Rewrites where the app's database connection goes (e.g. through a fault-injecting proxy).
   * The database is still created, migrated and dropped directly; the app gets a pool of its
   * own with the limits of `env`.
   */
  dbVia?: (config: DbConfig) => DbConfig;
  /** Where the app's log lines go (with a LOG_LEVEL in `env`): tests read them. */
  logStream?: { write(line: string): void };
  /** The clock segment rules read `now` from. */
  clock?: () => number;
}

/** A real app on a real database of its own, with tokens signed by the test secret. */
export async function startTestApp(env: Record<string, string> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const tdb = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false', ...env });
  config.db = opts.dbVia ? opts.dbVia(tdb.config) : tdb.config;
  const db = opts.dbVia ? openDatabase(config.db, config.limits, SILENT_KNEX_LOG) : tdb.db;
  const { app, services, lifecycle, ruleScheduler, replay } = await buildApp({
    config,
    db,
    logStream: opts.logStream,
    clock: opts.clock,
  });
  await app.ready();
  const token = (o: TokenOptions = {}) =>
    signToken(TEST_SECRET, {
      tenant: o.tenant ?? 'acme',
      scopes: o.scopes ?? [...ALL_SCOPES],
      customerId: o.customerId,
      legalEntityId: o.legalEntityId,
      expiresIn: o.expiresIn ?? '1h',
    });
  const adminToken = await token();
  return {
    app,
    services,
    lifecycle,
    ruleScheduler,
    replay,
    db,
    config,
    token,
    rest: async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const t = opts.token === undefined ? adminToken : opts.token;
      if (t !== null) headers.authorization = `Bearer ${t}`;
      const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      return app.inject({ method, url: `/customer-segment/${opts.tenant ?? 'acme'}${path}`, headers, payload });
    },
    gql: async (query, variables, opts = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(opts.headers ?? {}) };
      const t = opts.token === undefined ? adminToken : opts.token;
      if (t !== null) headers.authorization = `Bearer ${t}`;
      const res = await app.inject({ method: 'POST', url: '/graphql', headers, payload: JSON.stringify({ query, variables }) });
      return { status: res.statusCode, ...res.json() };
    },
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('not listening on a TCP port');
      return `http://127.0.0.1:${address.port}`;
    },
    close: async () => {
      await app.close();
      if (db !== tdb.db) await db.knex.destroy();
      await tdb.drop();
    },
  };
}
