import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import type { DbConfig } from '../src/config';
import { type Database, migrateLatest, openDatabase } from '../src/db/knex';
import { runImport } from '../src/import/import';
import { generateImport } from '../scripts/gen-import';
import { createPlainSegments, IMPORT_TABLES as TABLES } from './support';

/**
 * Import throughput: generates an N-line NDJSON file (scripts/gen-import.ts), imports it into a
 * fresh database, then imports it again (every line an update), and prints wall-clock times.
 *
 *   npm run build && node dist/bench/import.js [--lines 100000] [--db sqlite|mysql|both] [--batch-size 1000]
 *                                                [--assignments 1000000]
 *
 * With --assignments N, a third pass imports a file of N assignment lines alone (three customer
 * assignments to one item assignment, unique keys, into the same tenant) and prints its time.
 *
 * MySQL/MariaDB: DATABASE_URL=mysql://…/<db> imports into that (existing, migrated here)
 * database; otherwise a throwaway database is created on MYSQL_URL (default
 * mysql://root@127.0.0.1:3306) and dropped afterwards.
 */
const TENANT = 'bench';
const SEGMENTS = ['seg-gold', 'seg-silver', 'seg-bronze', 'seg-b2b', 'seg-staff'];

interface Target {
  name: string;
  config: DbConfig;
  cleanup: () => Promise<void>;
}

async function sqliteTarget(dir: string): Promise<Target> {
  const file = path.join(dir, 'bench.sqlite');
  return {
    name: 'sqlite',
    config: { client: 'sqlite', connection: file },
    cleanup: async () => fs.rmSync(file, { force: true }),
  };
}

async function mysqlTarget(): Promise<Target> {
  if (process.env.DATABASE_URL) {
    return { name: 'mysql', config: { client: 'mysql', connection: process.env.DATABASE_URL }, cleanup: async () => undefined };
  }
  const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
  const name = `csg_bench_import_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.destroy();
  return {
    name: 'mysql',
    config: { client: 'mysql', connection: `${base}/${name}` },
    cleanup: async () => {
      const again = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
      await again.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await again.destroy();
    },
  };
}

async function rowCount(db: Database): Promise<number> {
  let total = 0;
  for (const table of TABLES) {
    const row = (await db.knex(table).where('tenant', TENANT).count({ n: '*' }).first()) as { n: number | string };
    total += Number(row.n);
  }
  return total;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `n` assignment lines with unique keys: customers and products round-robin over the segments. */
async function writeAssignments(file: string, n: number): Promise<void> {
  const out = fs.createWriteStream(file, { encoding: 'utf8' });
  let chunk: string[] = [];
  for (let i = 0; i < n; i++) {
    const segmentId = SEGMENTS[i % SEGMENTS.length];
    const k = String(Math.floor(i / SEGMENTS.length)).padStart(7, '0');
    chunk.push(
      JSON.stringify(
        i % 4 === 3
          ? { kind: 'itemAssignment', segmentId, type: 'PRODUCT', itemId: `a-prd-${k}` }
          : { kind: 'customerAssignment', segmentId, customerId: `a-cus-${k}`, mixins: { source: 'bench', n: i % 100 } },
      ),
    );
    if (chunk.length === 1000 || i === n - 1) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
}

async function benchOne(
  target: Target,
  file: string,
  lines: number,
  batchSize: number,
  assignments: { file: string; lines: number } | undefined,
): Promise<void> {
  const db = openDatabase(target.config);
  try {
    await migrateLatest(db);
    // Start clean when pointed at an existing database.
    for (const table of [...TABLES, 'segments']) await db.knex(table).where('tenant', TENANT).delete();
    await createPlainSegments(db, TENANT, SEGMENTS);
    for (const pass of ['first import', 're-import']) {
      const started = process.hrtime.bigint();
      const summary = await runImport({ db, tenant: TENANT, files: [file], batchSize });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rows = await rowCount(db);
      if (summary.read !== lines || summary.rejected !== 0) {
        throw new Error(
          `${target.name}: read ${summary.read}, rejected ${summary.rejected}: ${JSON.stringify(summary.rejections.slice(0, 3))}`,
        );
      }
      console.log(
        `${target.name.padEnd(6)} ${pass.padEnd(12)} ${fmt(lines)} lines in ${seconds.toFixed(2)} s: ` +
          `${fmt(lines / seconds)} lines/s; ${fmt(rows)} rows incl. links → ${fmt(rows / seconds)} rows/s`,
      );
    }
    if (assignments) {
      const before = await rowCount(db);
      const started = process.hrtime.bigint();
      const summary = await runImport({ db, tenant: TENANT, files: [assignments.file], batchSize });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const added = (await rowCount(db)) - before;
      if (summary.read !== assignments.lines || summary.rejected !== 0 || added !== assignments.lines) {
        throw new Error(`${target.name}: assignments read ${summary.read}, rejected ${summary.rejected}, added ${added}`);
      }
      console.log(
        `${target.name.padEnd(6)} assignments  ${fmt(assignments.lines)} assignment lines in ${seconds.toFixed(2)} s: ` +
          `${fmt(assignments.lines / seconds)} rows/s`,
      );
    }
  } finally {
    await db.knex.destroy();
    await target.cleanup();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '100000' },
      db: { type: 'string', default: 'both' },
      'batch-size': { type: 'string', default: '1000' },
      assignments: { type: 'string', default: '0' },
    },
    strict: true,
  });
  const lines = Number(values.lines);
  const batchSize = Number(values['batch-size']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  try {
    const file = path.join(dir, 'import.ndjson');
    const gen = await generateImport({ lines, segments: SEGMENTS, out: file });
    console.log(
      `generated ${fmt(gen.lines)} lines (${(fs.statSync(file).size / 1e6).toFixed(1)} MB): ${JSON.stringify(gen.byKind)}`,
    );
    console.log(`batch size ${batchSize} lines per kind per transaction; node ${process.version}`);
    const nAssignments = Number(values.assignments);
    let assignments: { file: string; lines: number } | undefined;
    if (nAssignments > 0) {
      assignments = { file: path.join(dir, 'assignments.ndjson'), lines: nAssignments };
      await writeAssignments(assignments.file, nAssignments);
    }
    if (values.db === 'sqlite' || values.db === 'both')
      await benchOne(await sqliteTarget(dir), file, gen.lines, batchSize, assignments);
    if (values.db === 'mysql' || values.db === 'both')
      await benchOne(await mysqlTarget(), file, gen.lines, batchSize, assignments);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
