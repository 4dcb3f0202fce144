import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type Client_MySQL2 from 'knex/lib/dialects/mysql2';
import type { DbConfig } from '../config';
import { type Limits, loadLimits } from '../limits';
import { migrationSource } from './migration-source';
import { resilientMysqlClient } from './mysql-client';
import { countQuery } from './query-counter';
import { isConnectionLost } from './errors';
import { tracingHooks } from '../tracing/hooks';

export type Dialect = 'mysql' | 'sqlite';

/** The time limits of limits.ts that the database layer applies. */
export type DbLimits = Pick<Limits, 'dbStatementTimeoutMs' | 'dbAcquireTimeoutMs' | 'dbConnectTimeoutMs'>;

export interface Database {
  knex: Knex;
  dialect: Dialect;
  /** What it was opened with: migrations open a sibling with other statement limits. */
  config: DbConfig;
  limits: DbLimits;
  /** Knex's log, when it goes elsewhere than the console. */
  log?: Knex.Logger;
}

/** Knex settings for a dialect. Shared by the server, the CLIs and knexfile.ts. */
export function knexConfig(db: DbConfig, limits: DbLimits = loadLimits({}), log?: Knex.Logger): Knex.Config {
  // Waiting for a pooled connection is bounded on both dialects (knex's default is a minute).
  const acquireConnectionTimeout = limits.dbAcquireTimeoutMs;
  if (db.client === 'mysql') {
    const connectMs = limits.dbConnectTimeoutMs;
    return {
      client: resilientMysqlClient({ statementMs: limits.dbStatementTimeoutMs, connectMs }),
      connection: {
        uri: db.connection,
        // STACK.md: JSON comes back as text everywhere, dates stay UTC, full Unicode.
        jsonStrings: true,
        timezone: 'Z',
        charset: 'utf8mb4',
        supportBigNumbers: true,
        bigNumberStrings: false,
        connectTimeout: connectMs,
        // Idle pooled connections to a host that vanished are found by the OS, not by a request.
        enableKeepAlive: true,
        keepAliveInitialDelay: 10_000,
      } as Knex.MySql2ConnectionConfig,
      acquireConnectionTimeout,
      // createTimeoutMillis: a connection attempt is abandoned even if something below ignores connectTimeout.
      pool: { min: 1, max: 10, createTimeoutMillis: 2 * connectMs },
      log,
    };
  }
  if (db.connection !== ':memory:') fs.mkdirSync(path.dirname(db.connection), { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename: db.connection },
    useNullAsDefault: true,
    acquireConnectionTimeout,
    log,
    // One connection: SQLite serialises writers anyway, and one handle keeps transactions simple.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  };
}

/**
 * Knex's own log. It prints a stack trace for every failed connection attempt; that error also
 * reaches whoever asked for the connection — a request (logged with it, answered 503) or start-up
 * (explained in one line) — so here it is dropped. Other warnings keep their first line.
 */
const KNEX_LOG: Knex.Logger = {
  warn(message: unknown) {
    const text = String(message);
    if (!text.startsWith('Acquire connection error')) console.warn(`knex: ${text.split('\n')[0]}`);
  },
  deprecate(message: unknown) {
    console.warn(`knex: ${String(message)}`);
  },
};

export function openDatabase(db: DbConfig, limits: DbLimits = loadLimits({}), log: Knex.Logger = KNEX_LOG): Database {
  const knex = knexFactory(knexConfig(db, limits, log));
  knex.on('query', countQuery);
  return { knex, dialect: db.client, config: db, limits, log };
}

export async function migrateLatest(db: Database): Promise<void> {
  if (db.dialect === 'sqlite') {
    await db.knex.migrate.latest({ migrationSource });
    return;
  }
  // DDL on a big table may run for minutes: migrations run without the statement limit, on
  // their own short-lived pool (connect and acquire limits still apply).
  const ddl = knexFactory(knexConfig(db.config, { ...db.limits, dbStatementTimeoutMs: 0 }, db.log));
  try {
    await ddl.migrate.latest({ migrationSource });
  } finally {
    await ddl.destroy();
  }
}

/** Probes in flight, one per database: a load balancer polling a stalled database adds none. */
const probes = new WeakMap<Database, Promise<boolean>>();

/**
 * Whether the database answers `select 1` within `withinMs`. The probe itself may take longer
 * (it waits for a connection, then for the statement); the answer does not.
 */
export function isReachable(db: Database, withinMs: number): Promise<boolean> {
  let probe = probes.get(db);
  if (!probe) {
    probe = db.knex
      .raw('select 1')
      // A statement that has not answered by then will not answer in time for anyone.
      .options({ timeout: withinMs })
      .then(
        () => true,
        () => false,
      )
      .finally(() => probes.delete(db));
    probes.set(db, probe);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)));
  return Promise.race([probe, late]).finally(() => clearTimeout(timer));
}

/**
 * A SELECT whose text is fixed up front (hot primary-key batches). Rows come back as plain
 * objects on both dialects.
 *
 * On MySQL it skips Knex's query runner, which costs ~25 µs of CPU per statement (a tenth of a
 * REST read by id, measured in bench/reads.ts's setting), and keeps everything the runner gave:
 * - a connection from Knex's pool, so the acquire time limit and connection checks hold;
 * - the statement through the dialect's `_query`, so the statement time limit holds, a timed-out
 *   connection is closed, and a stall marks the pool's older connections suspect (mysql-client.ts);
 * - Knex's `query` event, so statement counts (metrics, tests) are the same;
 * - a read whose connection died is run once more on another connection (as ReadRetryRunner).
 *
 * With tracing on, it goes through Knex, so that each statement keeps Knex's span. SQLite always
 * goes through Knex.
 */
export async function selectRows<T>(db: Database, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  if (db.dialect === 'mysql' && !tracingHooks()) return (await pooledSelect(db, sql, bindings, true)) as T[];
  const result = await db.knex.raw(sql, bindings as Knex.RawBinding[]);
  // mysql2 answers [rows, fields]; better-sqlite3 answers rows.
  return (db.dialect === 'mysql' ? result[0] : result) as T[];
}

async function pooledSelect(db: Database, sql: string, bindings: readonly unknown[], mayRetry: boolean): Promise<unknown[]> {
  // The server's MySQL client is always mysql-client.ts's subclass of Knex's mysql2 dialect.
  const client = db.knex.client as unknown as Client_MySQL2;
  const connection = await client.acquireConnection();
  try {
    db.knex.emit('query', { method: 'raw', sql, bindings });
    const answered = (await client._query(connection, { sql, bindings })) as { response: [unknown[], unknown] };
    return answered.response[0];
  } catch (err) {
    if (!mayRetry || !isConnectionLost(err)) throw err;
  } finally {
    // A dead connection goes back too: the pool's check (mysql2 marked it fatal) discards it.
    await client.releaseConnection(connection);
  }
  // The connection died under the statement: once more, on another one.
  return pooledSelect(db, sql, bindings, false);
}

/** "?, ?, ?" for n values, cached by n (batch sizes repeat). */
const placeholderCache = new Map<number, string>();
export function placeholders(n: number): string {
  let p = placeholderCache.get(n);
  if (p === undefined) {
    p = Array.from({ length: n }, () => '?').join(', ');
    if (placeholderCache.size < 1001) placeholderCache.set(n, p);
  }
  return p;
}
