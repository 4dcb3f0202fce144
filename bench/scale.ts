/**
 * How the reads and writes of one tenant grow with its size (issue 10): the same tenant shape
 * imported at two sizes (scripts/gen-import.ts, 20 segments), each measured on MariaDB, and a
 * table with every figure at both sizes, their ratio and the target.
 *
 *   npm run build && node dist/bench/scale.js [--sizes 100000,2000000] [--keep] [--seconds 5]
 *     [--mixed-seconds 30] [--db-prefix csg_scale] [--only nested,itemsFirst,itemsLast,…] [--port 4400]
 *
 * Each size lives in a database `<db-prefix>_<lines>` on MYSQL_URL (default
 * mysql://root@127.0.0.1:3306). Without --keep it is built afresh and dropped at the end; with
 * --keep an existing one is reused as built (migrated to the latest schema first) and kept, so
 * iterating does not pay for the 2,000,000-line import each time. Besides the import, a build adds
 * - `seg-big`: a segment with lines/2 customer and lines/2 item assignments (1,000,000 each at
 *   2,000,000 lines), whose counts are measured;
 * - `seg-tree`: a segment with 5,000 category assignments (every category when there are fewer),
 *   the first categories of the forest, whose subtrees cover the catalog, and its one customer
 *   `cus-tree`, whose category tree is measured;
 * - `seg-bulk`: an empty segment the bulk PUT writes 200 new assignments per request into
 *   (emptied again afterwards).
 * Latencies are autocannon p50s at 10 connections, but for the two rows of whole category
 * trees (a megabyte and more each), which a body-dropping client drives (support.ts, closedLoop:
 * autocannon keeps every body as a string and becomes the bottleneck); the nested GraphQL page is
 * sent sequentially. The machine's cores are shared with MariaDB and the load generator: compare
 * ratios, not absolute figures. --only measures just the named rows (their keys in ROWS), to
 * re-measure a few quickly; the build and the table work as without it. The server of the
 * i-th size listens on --port + i.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import knexFactory, { type Knex } from 'knex';
import { ALL_SCOPES, SCOPE } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { type Database, migrateLatest, openDatabase } from '../src/db/knex';
import { runImport } from '../src/import/import';
import { SegmentRepository } from '../src/modules/segments/segment.repository';
import { generateImport } from '../scripts/gen-import';
import { BENCH_SECRET, closedLoop, IMPORT_TABLES, plainSegment, rssMb, spawnServer } from './support';

const TENANT = 'scale';
const SEGMENTS = Array.from({ length: 20 }, (_, i) => `seg-${String(i).padStart(2, '0')}`);
const EXTRA = ['seg-big', 'seg-tree', 'seg-bulk'];
const TREE_CATEGORIES = 5000;
const METRICS_TOKEN = 'scale-bench-metrics';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,2000000' },
    keep: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    'mixed-seconds': { type: 'string', default: '30' },
    'nested-runs': { type: 'string', default: '15' },
    'db-prefix': { type: 'string', default: 'csg_scale' },
    only: { type: 'string' },
    port: { type: 'string', default: '4400' },
  },
  strict: true,
});
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const seconds = Number(values.seconds);
const mixedSeconds = Number(values['mixed-seconds']);
const nestedRuns = Number(values['nested-runs']);
const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const log = (msg: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** The rows --only names (every row without it). */
const only = values.only === undefined ? undefined : new Set(values.only.split(',').map((k) => k.trim()));
const wanted = (...keys: string[]): boolean => !only || keys.some((k) => only.has(k));

/** One measured figure of one size. */
type Figures = Map<string, number>;

interface Row {
  key: string;
  label: string;
  unit: string;
  /** The target, checked at the big size: [comparison, value or a function of that size's figures]. */
  target?: { text: string; ok: (f: Figures) => boolean };
}

const ROWS: Row[] = [
  {
    key: 'byCustomer',
    label: 'GET /segments?customerId=',
    unit: 'ms',
    target: { text: '≤ 5 ms', ok: (f) => f.get('byCustomer')! <= 5 },
  },
  { key: 'custFirst', label: 'GET /segments/{id}/customers page 1', unit: 'ms' },
  {
    key: 'custLast',
    label: 'same, last page',
    unit: 'ms',
    target: { text: '≤ 2 × page 1', ok: (f) => f.get('custLast')! <= 2 * f.get('custFirst')! },
  },
  { key: 'itemsFirst', label: 'GET /segments/{id}/items page 1', unit: 'ms' },
  {
    key: 'itemsLast',
    label: 'same, last page',
    unit: 'ms',
    target: { text: '≤ 2 × page 1', ok: (f) => f.get('itemsLast')! <= 2 * f.get('itemsFirst')! },
  },
  { key: 'segsFirst', label: 'GET /segments page 1 (pageSize 1)', unit: 'ms' },
  {
    key: 'segsLast',
    label: 'same, last page',
    unit: 'ms',
    target: { text: '≤ 2 × page 1', ok: (f) => f.get('segsLast')! <= 2 * f.get('segsFirst')! },
  },
  {
    key: 'nested',
    label: 'nested GraphQL page (20 × 50 + 50 items, counts)',
    unit: 'ms',
    target: { text: '≤ 60 ms', ok: (f) => f.get('nested')! <= 60 },
  },
  { key: 'nestedStatements', label: 'statements per nested page', unit: '' },
  {
    key: 'counts',
    label: 'customerCount + itemCount of seg-big',
    unit: 'ms',
    target: { text: '≤ 20 ms', ok: (f) => f.get('counts')! <= 20 },
  },
  { key: 'bigMembers', label: 'seg-big members (each kind)', unit: '' },
  {
    key: 'tree',
    label: 'category tree (5,000 assigned categories), repeated, gzip',
    unit: 'ms',
    target: { text: '≤ 20 ms', ok: (f) => f.get('tree')! <= 20 },
  },
  { key: 'treePlain', label: 'same, without Accept-Encoding', unit: 'ms' },
  {
    key: 'treeCached',
    label: 'same, with If-None-Match (304)',
    unit: 'ms',
    target: { text: '≤ 20 ms', ok: (f) => f.get('treeCached')! <= 20 },
  },
  {
    key: 'match',
    label: 'match 1,000 products × 20 segments',
    unit: 'ms',
    target: { text: '≤ 30 ms', ok: (f) => f.get('match')! <= 30 },
  },
  {
    key: 'importRate',
    label: 'import (first, into an empty tenant)',
    unit: 'rows/s',
    target: { text: '≥ 50,000 rows/s', ok: (f) => f.get('importRate')! >= 50_000 },
  },
  { key: 'bigInsertRate', label: 'set-based INSERT … SELECT (seg-big, with counter triggers)', unit: 'rows/s' },
  {
    key: 'bulkPut',
    label: 'bulk PUT 200 new assignments (a segment per connection)',
    unit: 'ms',
    target: { text: '≤ 150 ms', ok: (f) => f.get('bulkPut')! <= 150 },
  },
  { key: 'bulkPutShared', label: 'same, all 10 connections into one segment', unit: 'ms' },
  { key: 'rssIdle', label: 'server RSS after start', unit: 'MB' },
  { key: 'mixedOwn', label: `${mixedSeconds} s mixed load without tree and match`, unit: 'req/s' },
  { key: 'rssOwn', label: 'server RSS high-water during it', unit: 'MB' },
  { key: 'mixed', label: `${mixedSeconds} s mixed load`, unit: 'req/s' },
  {
    key: 'rss',
    label: 'server RSS high-water during mixed load',
    unit: 'MB',
    target: { text: '≤ 250 MB', ok: (f) => f.get('rss')! <= 250 },
  },
];

const unknownRows = [...(only ?? [])].filter((k) => !ROWS.some((r) => r.key === k));
if (unknownRows.length)
  throw new Error(`--only: no such row ${unknownRows.join(', ')} (rows: ${ROWS.map((r) => r.key).join(', ')})`);

async function admin<T>(fn: (k: ReturnType<typeof knexFactory>) => Promise<T>): Promise<T> {
  const k = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  try {
    return await fn(k);
  } finally {
    await k.destroy();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  return admin(async (k) => {
    const [rows] = (await k.raw('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])) as [
      unknown[],
    ];
    return rows.length > 0;
  });
}

/** What a build has done so far (bench_scale_meta): a failed build resumes where it stopped. */
async function meta(db: Database): Promise<Map<string, string>> {
  if (!(await db.knex.schema.hasTable('bench_scale_meta'))) {
    await db.knex.schema.createTable('bench_scale_meta', (t) => {
      t.string('k', 64).primary();
      t.string('v', 255);
    });
  }
  const rows: { k: string; v: string }[] = await db.knex('bench_scale_meta').select('k', 'v');
  return new Map(rows.map((r) => [r.k, r.v]));
}

const setMeta = (db: Database, k: string, v: string) => db.knex('bench_scale_meta').insert({ k, v }).onConflict('k').merge();

/** One long set-based statement: no client or server statement time limit. */
const long = (db: Database, sql: string, bindings: Knex.RawBinding[]) =>
  db.knex.raw(`SET STATEMENT max_statement_time = 0 FOR ${sql}`, bindings).options({ timeout: 3_600_000 });

/**
 * Builds a size into `name`: segments, the import, seg-big, seg-tree. Each step is recorded, so
 * with --keep a build that failed half-way resumes after its last finished step.
 */
async function build(name: string, lines: number, resume: boolean): Promise<void> {
  if (!resume) {
    await admin((k) => k.raw(`DROP DATABASE IF EXISTS \`${name}\``));
    await admin((k) => k.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`));
  }
  const db = openDatabase({ client: 'mysql', connection: `${base}/${name}` });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  try {
    await migrateLatest(db);
    const done = await meta(db);
    const now = Date.now();
    if (!done.has('importRate')) {
      await db.knex('customer_assignments').where('tenant', TENANT).delete();
      await db.knex('item_assignments').where('tenant', TENANT).delete();
      await db.knex('segments').where('tenant', TENANT).delete();
      // The 20 imported segments first: they are the first page of the default (creation) order.
      const segments = new SegmentRepository(db, false);
      for (const [i, id] of [...SEGMENTS, ...EXTRA].entries()) {
        await segments.createMany(TENANT, [plainSegment(id)]);
        // Distinct creation times, so the order is the list's order.
        await db
          .knex('segments')
          .where({ tenant: TENANT, id })
          .update({ created_at: now + i });
      }
      const file = path.join(dir, 'import.ndjson');
      log(`${name}: generating ${fmt(lines)} lines`);
      await generateImport({ lines, segments: SEGMENTS, out: file });
      log(`${name}: importing`);
      const started = process.hrtime.bigint();
      const summary = await runImport({ db, tenant: TENANT, files: [file] });
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (summary.rejected) throw new Error(`import rejected ${summary.rejected} lines`);
      let rows = 0;
      for (const table of IMPORT_TABLES) {
        const r = (await db.knex(table).where('tenant', TENANT).count({ n: '*' }).first()) as { n: number | string };
        rows += Number(r.n);
      }
      log(`${name}: ${fmt(rows)} rows in ${secs.toFixed(1)} s`);
      await setMeta(db, 'importRows', String(rows));
      await setMeta(db, 'importRate', String(rows / secs));
    }

    if (!done.has('bigInsertRate')) {
      // seg-big: lines/2 customers and lines/2 items, set-based (MariaDB's sequence engine), in
      // steps of 100,000.
      await db.knex('customer_assignments').where({ tenant: TENANT, segment_id: 'seg-big' }).delete();
      await db.knex('item_assignments').where({ tenant: TENANT, segment_id: 'seg-big' }).delete();
      const big = Math.floor(lines / 2);
      const t0 = process.hrtime.bigint();
      for (let from = 1; from <= big; from += 100_000) {
        const to = Math.min(big, from + 99_999);
        await long(
          db,
          'INSERT INTO customer_assignments (tenant, segment_id, customer_id, legal_entity_id, assignment_type, version, created_at, modified_at) ' +
            `SELECT ?, 'seg-big', CONCAT('big-', LPAD(seq, 8, '0')), '', 'MANUAL', 1, ? + seq, ? FROM seq_${from}_to_${to}`,
          [TENANT, now, now],
        );
        await long(
          db,
          'INSERT INTO item_assignments (tenant, segment_id, type, item_id, assignment_type, version, created_at, modified_at) ' +
            `SELECT ?, 'seg-big', 'PRODUCT', CONCAT('bigp-', LPAD(seq, 8, '0')), 'MANUAL', 1, ? + seq, ? FROM seq_${from}_to_${to}`,
          [TENANT, now, now],
        );
      }
      const bigSecs = Number(process.hrtime.bigint() - t0) / 1e9;
      log(`${name}: seg-big ${fmt(2 * big)} rows in ${bigSecs.toFixed(1)} s`);
      await setMeta(db, 'bigInsertRate', String((2 * big) / bigSecs));
    }

    if (!done.has('tree')) {
      // seg-tree: the first categories (gen-import writes the roots first, so their subtrees
      // cover the catalog), and its one customer.
      await db.knex('customer_assignments').where({ tenant: TENANT, segment_id: 'seg-tree' }).delete();
      await db.knex('item_assignments').where({ tenant: TENANT, segment_id: 'seg-tree' }).delete();
      const cats: { id: string }[] = await db
        .knex('categories')
        .select('id')
        .where('tenant', TENANT)
        .orderBy('id')
        .limit(TREE_CATEGORIES);
      for (let i = 0; i < cats.length; i += 1000) {
        await db.knex('item_assignments').insert(
          cats.slice(i, i + 1000).map((c, j) => ({
            tenant: TENANT,
            segment_id: 'seg-tree',
            type: 'CATEGORY',
            item_id: c.id,
            assignment_type: 'MANUAL',
            version: 1,
            created_at: now + i + j,
            modified_at: now,
          })),
        );
      }
      await db.knex('customer_assignments').insert({
        tenant: TENANT,
        segment_id: 'seg-tree',
        customer_id: 'cus-tree',
        legal_entity_id: '',
        assignment_type: 'MANUAL',
        version: 1,
        created_at: now,
        modified_at: now,
      });
      await setMeta(db, 'tree', String(cats.length));
    }
  } finally {
    await db.knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Load {
  p50: number;
  rps: number;
  statuses: Record<string, number>;
}

async function load(opts: autocannon.Options, label: string, allow: number[] = []): Promise<Load> {
  const r = await autocannon({ connections: 10, duration: seconds, timeout: 120, ...opts });
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = (s as { count: number }).count;
  const bad = Object.entries(statuses).filter(([code]) => !(Number(code) < 300 || allow.includes(Number(code))));
  if (r.errors > 0 || r.timeouts > 0 || bad.length || r.requests.total === 0) {
    throw new Error(`${label}: ${r.errors} errors, ${r.timeouts} timeouts, statuses ${JSON.stringify(statuses)}`);
  }
  log(`  ${label}: p50 ${r.latency.p50} ms, ${r.requests.average} req/s ${JSON.stringify(statuses)}`);
  return { p50: r.latency.p50, rps: r.requests.average, statuses };
}

/** p50 of whole (large) answers by closedLoop, failing on any status but 200; autocannon's figure is logged too. */
async function wholeAnswers(url: string, headers: Record<string, string>, label: string): Promise<Load> {
  const r = await closedLoop(url, headers, 10, seconds);
  if (Object.keys(r.statuses).some((code) => code !== '200')) throw new Error(`${label}: statuses ${JSON.stringify(r.statuses)}`);
  log(`  ${label}: p50 ${r.p50} ms, ${Math.round(r.rps)} req/s, ${fmt(r.bytes)} bytes each (body-dropping client)`);
  await load({ url, headers }, `${label}, by autocannon (keeps each body as a string)`);
  return { p50: r.p50, rps: r.rps, statuses: r.statuses };
}

/** A measure that may fail at a size (an endpoint that answers 503 there): NaN, logged, and the run goes on. */
async function maybe(run: () => Promise<Load>, label: string): Promise<number> {
  try {
    return (await run()).p50;
  } catch (err) {
    log(`  ${label}: failed: ${err instanceof Error ? err.message : String(err)}`);
    return NaN;
  }
}

const NESTED = `{
  segments(pageSize: 20) {
    items {
      id customerCount itemCount
      customers(pageSize: 50) { totalCount items { customer { id } legalEntity { id name } } }
      items(pageSize: 50) { totalCount items { itemId type } }
    }
  }
}`;

async function statementsSent(origin: string): Promise<number> {
  const res = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('db_statements_total'));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** The nested page, one request at a time (bounded: at most 60 s of them), and its statements. */
async function measureNested(origin: string, headers: Record<string, string>, nestedBody: string, f: Figures): Promise<void> {
  const post = (body: string) => fetch(`${origin}/graphql`, { method: 'POST', headers, body });
  const times: number[] = [];
  const first = await post(nestedBody);
  const firstJson = (await first.json()) as { errors?: unknown; data?: { segments: { items: unknown[] } } };
  if (firstJson.errors || firstJson.data?.segments.items.length !== 20) {
    throw new Error(`nested page: ${JSON.stringify(firstJson).slice(0, 500)}`);
  }
  const before = await statementsSent(origin);
  await (await post(nestedBody)).text();
  f.set('nestedStatements', (await statementsSent(origin)) - before);
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < nestedRuns && Date.now() < deadline; i++) {
    const t = performance.now();
    const res = await post(nestedBody);
    await res.text();
    if (res.status !== 200) throw new Error(`nested page: ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  f.set('nested', times[Math.floor(times.length / 2)]);
  log(`  nested: p50 ${f.get('nested')?.toFixed(1)} ms over ${times.length}, ${f.get('nestedStatements')} statements`);
}

async function measure(name: string, lines: number, port: number): Promise<Figures> {
  const f: Figures = new Map();
  const db: Database = openDatabase({ client: 'mysql', connection: `${base}/${name}` });
  let server: ChildProcess | undefined;
  try {
    await migrateLatest(db);
    const built = await meta(db);
    f.set('importRate', Number(built.get('importRate')));
    f.set('bigInsertRate', Number(built.get('bigInsertRate')));
    const count = async (table: string, segmentId: string): Promise<number> => {
      const r = (await db.knex(table).where({ tenant: TENANT, segment_id: segmentId }).count({ n: '*' }).first()) as {
        n: number | string;
      };
      return Number(r.n);
    };
    await db.knex('customer_assignments').where({ tenant: TENANT, segment_id: 'seg-bulk' }).delete();
    const seg0Customers = await count('customer_assignments', 'seg-00');
    const seg0Items = await count('item_assignments', 'seg-00');
    const segs = Number(((await db.knex('segments').where('tenant', TENANT).count({ n: '*' }).first()) as { n: number }).n);
    f.set('bigMembers', await count('customer_assignments', 'seg-big'));
    const member = (await db
      .knex('customer_assignments')
      .select('customer_id')
      .where({ tenant: TENANT, segment_id: 'seg-05' })
      .orderBy('customer_id')
      .first()) as { customer_id: string };
    const products = (
      (await db.knex('products').select('id').where('tenant', TENANT).orderBy('id').limit(1000)) as { id: string }[]
    ).map((p) => ({ id: p.id }));
    log(`${name}: seg-00 has ${fmt(seg0Customers)} customers, ${fmt(seg0Items)} items; ${segs} segments`);

    server = await spawnServer(port, {
      DATABASE_URL: `${base}/${name}`,
      RATE_LIMIT: 'false',
      METRICS_TOKEN,
      // The access log on, as shipped (stdout is /dev/null).
      LOG_LEVEL: 'info',
    });
    f.set('rssIdle', rssMb(server.pid as number));
    const origin = `http://127.0.0.1:${port}`;
    const rest = `${origin}/customer-segment/${TENANT}`;
    const token = await signToken(BENCH_SECRET, { tenant: TENANT, scopes: [...ALL_SCOPES], expiresIn: '2h' });
    const auth = { authorization: `Bearer ${token}` };
    const ownToken = await signToken(BENCH_SECRET, {
      tenant: TENANT,
      scopes: [SCOPE.readOwn],
      customerId: 'cus-tree',
      expiresIn: '2h',
    });
    const json = { ...auth, 'content-type': 'application/json' };
    const lastPage = (n: number, size: number): number => Math.max(1, Math.ceil(n / size) - 1);

    const urls = {
      byCustomer: `${rest}/segments?customerId=${member.customer_id}`,
      custFirst: `${rest}/segments/seg-00/customers?pageNumber=1&pageSize=60`,
      custLast: `${rest}/segments/seg-00/customers?pageNumber=${lastPage(seg0Customers, 60)}&pageSize=60`,
      itemsFirst: `${rest}/segments/seg-00/items?pageNumber=1&pageSize=60`,
      itemsLast: `${rest}/segments/seg-00/items?pageNumber=${lastPage(seg0Items, 60)}&pageSize=60`,
      segsFirst: `${rest}/segments?pageNumber=1&pageSize=1`,
      segsLast: `${rest}/segments?pageNumber=${segs}&pageSize=1`,
    };
    // Warm up first, unmeasured: a fresh server compiles its code and opens its pool's
    // connections under the first load, which would otherwise land on the first row alone.
    const warm = Object.values(urls).map((url) => ({ method: 'GET' as const, path: url.slice(origin.length), headers: auth }));
    await autocannon({ url: origin, connections: 10, duration: 2, timeout: 120, requests: warm });
    for (const [key, url] of Object.entries(urls)) if (wanted(key)) f.set(key, (await load({ url, headers: auth }, key)).p50);

    const nestedBody = JSON.stringify({ query: NESTED });
    if (wanted('nested', 'nestedStatements')) await measureNested(origin, json, nestedBody, f);

    const countsBody = JSON.stringify({ query: '{ segment(id: "seg-big") { customerCount itemCount } }' });
    if (wanted('counts')) {
      f.set('counts', (await load({ url: `${origin}/graphql`, method: 'POST', headers: json, body: countsBody }, 'counts')).p50);
    }

    const treeUrl = `${rest}/segments/items/category-trees?siteCode=main`;
    const own = { authorization: `Bearer ${ownToken}` };
    const matchBody = JSON.stringify({ siteCode: 'main', segmentIds: SEGMENTS, items: products });
    const matchUrl = `${rest}/segments/match`;

    // Bulk PUT: 200 new assignments per request (a fresh range each time). Each connection
    // writes into a segment of its own (seg-bulk-0 … 9), as independent clients would; then all
    // ten into seg-bulk, where they take turns on the segment's row.
    const bulkSegments = Array.from({ length: 10 }, (_, i) => `seg-bulk-${i}`);
    const have = new Set(
      ((await db.knex('segments').select('id').where('tenant', TENANT).whereIn('id', bulkSegments)) as { id: string }[]).map(
        (r) => r.id,
      ),
    );
    const stamp = Date.now();
    for (const id of bulkSegments.filter((b) => !have.has(b))) {
      await db.knex('segments').insert({
        tenant: TENANT,
        id,
        name: JSON.stringify({ en: id }),
        status: 'ACTIVE',
        site_code: 'main',
        version: 1,
        created_at: stamp,
        modified_at: stamp,
      });
    }
    const clearBulk = () =>
      db
        .knex('customer_assignments')
        .where('tenant', TENANT)
        .whereIn('segment_id', ['seg-bulk', ...bulkSegments])
        .delete();
    await clearBulk();
    let next = 0;
    let connection = 0;
    const bulkBody = (): string =>
      JSON.stringify(Array.from({ length: 200 }, () => ({ customerId: `bulk-${String(next++).padStart(9, '0')}` })));
    const bulkReq = (shared: boolean): autocannon.Request => ({
      method: 'PUT',
      path: `/customer-segment/${TENANT}/segments/seg-bulk/customers/bulk`,
      headers: json,
      setupRequest: (req, ctx: object) => {
        const context = ctx as { segment?: string };
        context.segment ??= bulkSegments[connection++ % bulkSegments.length];
        const segment = shared ? 'seg-bulk' : context.segment;
        return { ...req, path: `/customer-segment/${TENANT}/segments/${segment}/customers/bulk`, body: bulkBody() };
      },
    });
    if (wanted('bulkPut')) {
      f.set(
        'bulkPut',
        await maybe(
          () => load({ url: origin, requests: [bulkReq(false)] }, 'bulk PUT 200, a segment per connection'),
          'bulk PUT',
        ),
      );
    }
    if (wanted('bulkPutShared')) {
      f.set(
        'bulkPutShared',
        await maybe(() => load({ url: origin, requests: [bulkReq(true)] }, 'bulk PUT 200, one segment'), 'bulk PUT shared'),
      );
    }
    await clearBulk();

    // Mixed load: every request kind in turn on each connection; RSS sampled meanwhile.
    const get = (url: string, headers: Record<string, string> = auth): autocannon.Request => ({
      method: 'GET',
      path: url.slice(origin.length),
      headers,
    });
    const gql = (body: string): autocannon.Request => ({ method: 'POST', path: '/graphql', headers: json, body });
    const mixedRun = async (requests: autocannon.Request[], label: string): Promise<[number, number]> => {
      let rss = rssMb(server?.pid as number);
      const sampler = setInterval(() => {
        rss = Math.max(rss, rssMb(server?.pid as number));
      }, 100);
      try {
        const r = await autocannon({ url: origin, connections: 10, duration: mixedSeconds, timeout: 120, requests });
        // Reported, not fatal: the figure is what got through in the time.
        if (r.errors > 0 || r.non2xx > 0) log(`  ${label}: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx`);
        log(`  ${label}: ${r.requests.average} req/s, RSS high-water ${rss.toFixed(0)} MB`);
        return [r.requests.average, rss];
      } finally {
        clearInterval(sampler);
      }
    };
    const reads = [
      get(urls.byCustomer),
      get(urls.custFirst),
      get(urls.custLast),
      get(urls.itemsLast),
      gql(nestedBody),
      gql(countsBody),
      bulkReq(false),
    ];
    // Without the category tree and match first (what the paging, the counters and the nested
    // page govern), then everything.
    if (wanted('mixedOwn', 'rssOwn')) {
      const [mixedOwn, rssOwn] = await mixedRun(reads, 'mixed, without tree and match');
      f.set('mixedOwn', mixedOwn);
      f.set('rssOwn', rssOwn);
    }
    // The category tree and match last: at the large size they may leave long statements behind.
    if (wanted('tree', 'treePlain', 'treeCached')) {
      // As a storefront asks: gzip accepted (the kept answer is kept compressed too).
      const ownZip = { ...own, 'accept-encoding': 'gzip' };
      const treeRes = await fetch(treeUrl, { headers: own });
      const treeText = await treeRes.text();
      const zipRes = await fetch(treeUrl, { headers: ownZip });
      const etag = zipRes.headers.get('etag');
      await zipRes.arrayBuffer();
      log(
        `  category tree: ${treeRes.status}, ${fmt(treeText.length)} bytes (${zipRes.headers.get('content-encoding') ?? 'identity'}: ETag ${etag ?? '(none)'})`,
      );
      // Whole answers of a megabyte and more: a body-dropping client (support.ts, closedLoop), as
      // autocannon spends more on each body than the server does; its figure is logged beside.
      f.set('tree', await maybe(() => wholeAnswers(treeUrl, ownZip, 'tree'), 'tree'));
      f.set('treePlain', await maybe(() => wholeAnswers(treeUrl, own, 'tree, identity'), 'tree identity'));
      const cachedHeaders = etag ? { ...ownZip, 'if-none-match': etag } : ownZip;
      const only304 = async (): Promise<Load> => {
        const r = await load({ url: treeUrl, headers: cachedHeaders }, 'tree, If-None-Match', [304]);
        if (Object.keys(r.statuses).some((code) => code !== '304')) throw new Error(`not all 304: ${JSON.stringify(r.statuses)}`);
        return r;
      };
      f.set('treeCached', await maybe(only304, 'tree cached'));
    }

    if (wanted('match')) {
      f.set(
        'match',
        await maybe(() => load({ url: matchUrl, method: 'POST', headers: json, body: matchBody }, 'match'), 'match'),
      );
    }

    if (wanted('mixed', 'rss')) {
      const [mixed, rss] = await mixedRun(
        [
          ...reads,
          get(treeUrl, own),
          { method: 'POST', path: `/customer-segment/${TENANT}/segments/match`, headers: json, body: matchBody },
        ],
        'mixed',
      );
      f.set('mixed', mixed);
      f.set('rss', rss);
    }
    await clearBulk();
    void lines;
    return f;
  } finally {
    server?.kill('SIGTERM');
    await db.knex.destroy();
  }
}

function show(n: number | undefined, unit: string): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  if (unit === 'ms') return n < 10 ? n.toFixed(1) : fmt(n);
  return fmt(n);
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  const names: string[] = [];
  for (const [i, lines] of sizes.entries()) {
    const name = `${values['db-prefix']}_${lines}`;
    names.push(name);
    const exists = values.keep && (await databaseExists(name));
    if (exists) log(`${name}: reusing (--keep)`);
    await build(name, lines, exists);
    log(`${name}: measuring`);
    results.push(await measure(name, lines, Number(values.port) + i));
  }
  if (!values.keep) for (const name of names) await admin((k) => k.raw(`DROP DATABASE IF EXISTS \`${name}\``));

  const big = results[results.length - 1];
  const header = ['measure', ...sizes.map((s) => `${fmt(s)} lines`), 'ratio', 'target (largest size)', ''];
  const table = ROWS.filter((row) => wanted(row.key)).map((row) => {
    const cells = results.map((f) => show(f.get(row.key), row.unit));
    const a = results[0].get(row.key);
    const b = big.get(row.key);
    const ratio = a !== undefined && b !== undefined && a > 0 && results.length > 1 ? (b / a).toFixed(1) : '—';
    const verdict = row.target ? (row.target.ok(big) ? '✓' : '✗') : '';
    return [`${row.label}${row.unit ? ` (${row.unit})` : ''}`, ...cells, ratio, row.target?.text ?? '', verdict];
  });
  const widths = header.map((_, c) => Math.max(header[c].length, ...table.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`MariaDB, p50 at 10 connections (nested page: sequential), ${seconds} s per measure`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of table) console.log(line(r));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
