/**
 * A throwaway table on a real database for the query tests: a temp SQLite file by default, or
 * MariaDB/MySQL when DB_CLIENT=mysql (mysql://root@127.0.0.1:3306/test, or DB_URL).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { makeResolver } from '../../src/query/fields';
import type { Dialect } from '../../src/query/fields';

export const dialect: Dialect = process.env.DB_CLIENT === 'mysql' ? 'mysql' : 'sqlite';

export const iso = (s: string): number => Date.parse(s);

export interface Row {
  id: string;
  status: string;
  site_code: string | null;
  score: number | null;
  flag: number | null;
  validity_from: number | null;
  created_at: number;
  name: string;
  mixins: string | null;
}

const json = (v: unknown): string => JSON.stringify(v);

export const ROWS: Row[] = [
  {
    id: 'a',
    status: 'ACTIVE',
    site_code: 'main',
    score: 10,
    flag: 1,
    validity_from: iso('2024-01-01T00:00:00Z'),
    created_at: 1000,
    name: json({ en: 'Gold Members', de: 'Goldmitglieder' }),
    mixins: json({ seg: { tier: 'gold', level: 5, vip: true, note: null, pct: '50%' }, code: '5' }),
  },
  {
    id: 'b',
    status: 'ACTIVE',
    site_code: 'Main',
    score: 9,
    flag: 0,
    validity_from: iso('2024-06-01T12:00:00Z'),
    created_at: 2000,
    name: json({ en: 'gold rush', de: 'Goldrausch' }),
    mixins: json({ seg: { tier: 'Gold', level: 10, vip: false, pct: '50_', one: 1 }, code: 5 }),
  },
  {
    id: 'c',
    status: 'INACTIVE',
    site_code: null,
    score: null,
    flag: null,
    validity_from: null,
    created_at: 3000,
    name: json({ en: '100% Silver_Club!' }),
    mixins: null,
  },
  {
    id: 'd',
    status: 'INACTIVE',
    site_code: 'x',
    score: -2.5,
    flag: 1,
    validity_from: iso('2023-12-31T23:59:59.999Z'),
    created_at: 4000,
    name: json({ en: 'Bronze\\Back', fr: 'Bronze' }),
    mixins: json({ seg: { tier: 'bronze', level: 9.5, tags: ['a'] }, code: 'abc' }),
  },
  {
    id: 'e',
    status: 'ACTIVE',
    site_code: "it's",
    score: 0,
    flag: 0,
    validity_from: iso('2025-01-01T00:00:00Z'),
    created_at: 5000,
    name: json({ en: 'O\'Brien "quoted"' }),
    mixins: json({ seg: { tier: 'gold ' } }),
  },
  {
    id: 'A',
    status: 'INACTIVE',
    site_code: 'MAIN',
    score: 100,
    flag: null,
    validity_from: null,
    created_at: 1000,
    name: json({ en: 'Zeta', de: 'zeta' }),
    mixins: json({ seg: {} }),
  },
];

export const resolver = makeResolver({
  columns: {
    id: { column: 't.id', kind: 'string' },
    status: { column: 't.status', kind: 'enum', enumValues: ['ACTIVE', 'INACTIVE'] },
    siteCode: { column: 't.site_code', kind: 'string' },
    score: { column: 't.score', kind: 'number' },
    flag: { column: 't.flag', kind: 'boolean' },
    'validity.from': { column: 't.validity_from', kind: 'instant' },
    'metadata.createdAt': { column: 't.created_at', kind: 'instant' },
  },
  aliases: { metadataCreatedAt: 'metadata.createdAt' },
  json: { name: 't.name', mixins: 't.mixins' },
});

export interface TestDb {
  knex: Knex;
  table: string;
  /** `SELECT t.id FROM <table> AS t` */
  from(): Knex.QueryBuilder;
  close(): Promise<void>;
}

export async function openTestDb(): Promise<TestDb> {
  const table = `tq_${randomBytes(6).toString('hex')}`;
  const file = join(tmpdir(), `${table}.sqlite`);
  const knex =
    dialect === 'mysql'
      ? knexFactory({ client: 'mysql2', connection: process.env.DB_URL ?? 'mysql://root@127.0.0.1:3306/test' })
      : knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  await knex.schema.createTable(table, (t) => {
    if (dialect === 'mysql') {
      // Like the real migrations: byte-wise comparisons, as on SQLite.
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.string('id', 64).primary();
    t.string('status', 16).notNullable();
    t.string('site_code', 255).nullable();
    t.double('score').nullable();
    t.boolean('flag').nullable();
    t.bigInteger('validity_from').nullable();
    t.bigInteger('created_at').notNullable();
    if (dialect === 'mysql') {
      t.text('name', 'longtext').notNullable();
      t.text('mixins', 'longtext').nullable();
    } else {
      t.text('name').notNullable();
      t.text('mixins').nullable();
    }
  });
  await knex(table).insert(ROWS);
  return {
    knex,
    table,
    from: () => knex({ t: table }).select('t.id'),
    close: async () => {
      try {
        await knex.schema.dropTableIfExists(table);
      } finally {
        await knex.destroy();
        rmSync(file, { force: true });
      }
    },
  };
}
