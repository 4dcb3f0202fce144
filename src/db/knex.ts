import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DbConfig } from '../config';
import { migrationSource } from './migration-source';
import { countQuery } from './query-counter';

export type Dialect = 'mysql' | 'sqlite';

export interface Database {
  knex: Knex;
  dialect: Dialect;
}

/** Knex settings for a dialect. Shared by the server, the CLIs and knexfile.ts. */
export function knexConfig(db: DbConfig): Knex.Config {
  if (db.client === 'mysql') {
    return {
      client: 'mysql2',
      connection: {
        uri: db.connection,
        // STACK.md: JSON comes back as text everywhere, dates stay UTC, full Unicode.
        jsonStrings: true,
        timezone: 'Z',
        charset: 'utf8mb4',
        supportBigNumbers: true,
        bigNumberStrings: false,
      } as Knex.MySql2ConnectionConfig,
      pool: { min: 1, max: 10 },
    };
  }
  if (db.connection !== ':memory:') fs.mkdirSync(path.dirname(db.connection), { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename: db.connection },
    useNullAsDefault: true,
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

export function openDatabase(db: DbConfig): Database {
  const knex = knexFactory(knexConfig(db));
  knex.on('query', countQuery);
  return { knex, dialect: db.client };
}

export async function migrateLatest(db: Database): Promise<void> {
  await db.knex.migrate.latest({ migrationSource });
}

export async function isReachable(db: Database): Promise<boolean> {
  try {
    await db.knex.raw('select 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A SELECT whose text is fixed up front (hot primary-key batches): it still runs through
 * Knex's pool, events and query counting, but skips building the statement each time.
 * Rows come back as plain objects on both dialects.
 */
export async function selectRows<T>(db: Database, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const result = await db.knex.raw(sql, bindings as Knex.RawBinding[]);
  // mysql2 answers [rows, fields]; better-sqlite3 answers rows.
  return (db.dialect === 'mysql' ? result[0] : result) as T[];
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
