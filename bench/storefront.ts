/**
 * Storefront reads at size: category trees (cold, warm, 304) and match, on MariaDB.
 *
 *   npm run build && node dist/bench/storefront.js [--lines 100000,2000000] [--keep] [--connections 10] [--seconds 5]
 *
 * For each size, a database `csg_scale_sb_<lines>` on MYSQL_URL (default mysql://root@127.0.0.1:3306)
 * gets the tenant shape of scripts/gen-import.ts with 20 segments, imported through the import,
 * plus one wide segment: seg-00 gets min(5,000, all) category assignments, and the customer
 * `cus-tree` belongs to it. The database is kept with --keep (later runs reuse it), dropped
 * otherwise. The server runs in a child process; figures are p50 latencies in ms.
 *
 * - tree cold: GET /segments/items/category-trees right after a write that bumps the tenant's
 *   tree version, one call at a time;
 * - tree warm1 / warm: the same call repeated, one at a time / `connections` at a time;
 * - tree 304: the same with If-None-Match of the ETag the warm call answered;
 * - match1 / match: POST /segments/match, 1,000 products × 20 segments, one / `connections` at a time;
 * - rssMb: the server's resident set at the end.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import knexFactory from 'knex';
import { ALL_SCOPES, SCOPE } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { type Database, migrateLatest, openDatabase } from '../src/db/knex';
import { runImport } from '../src/import/import';
import { generateImport, prng } from '../scripts/gen-import';
import { BENCH_SECRET, client, createPlainSegments, rssMb, spawnServer } from './support';

const TENANT = 'bench';
const SEGMENTS = Array.from({ length: 20 }, (_, i) => `seg-${String(i).padStart(2, '0')}`);
const WIDE = 5000;

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000,2000000' },
    keep: { type: 'boolean', default: false },
    connections: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '5' },
    cold: { type: 'string', default: '9' },
  },
  strict: true,
});
const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const connections = Number(values.connections);
const seconds = Number(values.seconds);

async function build(db: Database, lines: number): Promise<void> {
  const have = (await db.knex('customers').where('tenant', TENANT).count({ n: '*' }).first()) as { n: number | string };
  if (Number(have.n) > 0) {
    console.log(`  reusing the tenant already in the database`);
    return;
  }
  await createPlainSegments(db, TENANT, SEGMENTS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-storefront-'));
  try {
    const file = path.join(dir, 'import.ndjson');
    await generateImport({ lines, segments: SEGMENTS, out: file });
    const started = Date.now();
    const s = await runImport({ db, tenant: TENANT, files: [file] });
    console.log(`  imported ${s.read.toLocaleString('en-US')} lines in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The wide segment: category assignments over most of the catalog, and one customer in it.
  const cats: { id: string }[] = await db.knex('categories').select('id').where('tenant', TENANT).orderBy('id');
  const rnd = prng(7);
  const ids = cats.map((c) => c.id);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  }
  const now = Date.now();
  const rows = ids.slice(0, WIDE).map((item_id) => ({
    tenant: TENANT,
    segment_id: 'seg-00',
    type: 'CATEGORY',
    item_id,
    assignment_type: 'MANUAL',
    version: 1,
    created_at: now,
    modified_at: now,
  }));
  for (let i = 0; i < rows.length; i += 1000) {
    await db
      .knex('item_assignments')
      .insert(rows.slice(i, i + 1000))
      .onConflict(['tenant', 'segment_id', 'type', 'item_id'])
      .ignore();
  }
  await db.knex('customers').insert({ tenant: TENANT, id: 'cus-tree', first_name: 'Tree', last_name: 'Bench' });
  await db.knex('customer_assignments').insert({
    tenant: TENANT,
    segment_id: 'seg-00',
    customer_id: 'cus-tree',
    legal_entity_id: '',
    assignment_type: 'MANUAL',
    version: 1,
    created_at: now,
    modified_at: now,
  });
}

const p50 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

async function cannon(url: string, opts: { method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string }) {
  const r = await autocannon({ url, connections, duration: seconds, ...opts });
  if (r.errors > 0) throw new Error(`${url}: ${r.errors} errors`);
  return { p50: r.latency.p50, rps: r.requests.average, non2xx: r.non2xx };
}

async function one(lines: number): Promise<Record<string, number>> {
  const name = `csg_scale_sb_${lines >= 1e6 ? `${lines / 1e6}m` : `${lines / 1e3}k`}`;
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const url = `${base}/${name}`;
  const db = openDatabase({ client: 'mysql', connection: url });
  const out: Record<string, number> = {};
  try {
    await migrateLatest(db);
    console.log(`${lines.toLocaleString('en-US')} lines → ${name}`);
    await build(db, lines);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = await spawnServer(port, { DATABASE_URL: url, RATE_LIMIT: 'false' });
    const origin = `http://127.0.0.1:${port}`;
    try {
      const customer = await signToken(BENCH_SECRET, { tenant: TENANT, scopes: [SCOPE.readOwn], customerId: 'cus-tree' });
      const manager = await signToken(BENCH_SECRET, { tenant: TENANT, scopes: [...ALL_SCOPES] });
      const http = client(origin, connections);
      const treeUrl = `/customer-segment/${TENANT}/segments/items/category-trees?siteCode=main`;
      const auth = { authorization: `Bearer ${customer}` };
      const first = await http.get(treeUrl, auth);
      if (first.status !== 200) throw new Error(`tree: ${first.status} ${first.text.slice(0, 200)}`);
      let nodes = 0;
      const count = (list: { subcategories?: unknown[] }[]): void => {
        for (const n of list) {
          nodes++;
          count((n.subcategories ?? []) as { subcategories?: unknown[] }[]);
        }
      };
      count(JSON.parse(first.text) as { subcategories?: unknown[] }[]);
      out.treeNodes = nodes;
      out.treeBytes = Buffer.byteLength(first.text);
      // Cold: a write that bumps the tenant's tree version between calls (a CATEGORY assignment
      // of another segment put and deleted in turn: the customer's tree stays the same).
      const cold: number[] = [];
      const mauth = { authorization: `Bearer ${manager}`, 'content-type': 'application/json' };
      for (let i = 0; i < Number(values.cold); i++) {
        const w = await fetch(`${origin}/customer-segment/${TENANT}/segments/seg-19/items/CATEGORY/cat-000001`, {
          method: i % 2 ? 'DELETE' : 'PUT',
          headers: { authorization: `Bearer ${manager}` },
        });
        if (w.status >= 300) throw new Error(`assignment write: ${w.status} ${await w.text()}`);
        const t0 = performance.now();
        const r = await http.get(treeUrl, auth);
        cold.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`tree cold: ${r.status}`);
      }
      out.treeCold = p50(cold);
      const one: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await http.get(treeUrl, auth);
        one.push(performance.now() - t0);
      }
      out.treeWarm1 = p50(one);
      const warm = await cannon(`${origin}${treeUrl}`, { headers: auth });
      out.treeWarm = warm.p50;
      const etag = (await fetch(`${origin}${treeUrl}`, { headers: auth })).headers.get('etag');
      if (etag) {
        const notModified = await cannon(`${origin}${treeUrl}`, { headers: { ...auth, 'if-none-match': etag } });
        out.tree304 = notModified.p50;
      }
      const products: { id: string }[] = await db.knex('products').select('id').where('tenant', TENANT).orderBy('id').limit(1000);
      const matchBody = JSON.stringify({ siteCode: 'main', segmentIds: SEGMENTS, items: products });
      const probe = await fetch(`${origin}/customer-segment/${TENANT}/segments/match`, {
        method: 'POST',
        headers: mauth,
        body: matchBody,
      });
      if (probe.status !== 200) throw new Error(`match: ${probe.status} ${await probe.text()}`);
      out.matched = ((await probe.json()) as unknown[]).length;
      const oneMatch: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await fetch(`${origin}/customer-segment/${TENANT}/segments/match`, { method: 'POST', headers: mauth, body: matchBody });
        oneMatch.push(performance.now() - t0);
      }
      out.match1 = p50(oneMatch);
      const match = await cannon(`${origin}/customer-segment/${TENANT}/segments/match`, {
        method: 'POST',
        headers: mauth,
        body: matchBody,
      });
      out.match = match.p50;
      out.rssMb = Math.round(rssMb(child.pid as number));
      http.close();
    } finally {
      child.kill();
    }
  } finally {
    await db.knex.destroy();
    if (!values.keep) await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.destroy();
  }
  console.log(`  ${JSON.stringify(out)}`);
  return out;
}

async function main(): Promise<void> {
  const sizes = values.lines.split(',').map(Number);
  const results = [];
  for (const lines of sizes) results.push(await one(lines));
  const [a, b] = results;
  if (a && b) {
    console.log('ratios (second size / first size):');
    for (const k of ['treeCold', 'treeWarm1', 'treeWarm', 'tree304', 'match1', 'match']) {
      if (a[k] !== undefined && b[k] !== undefined) console.log(`  ${k}: ${a[k]} → ${b[k]} ms (× ${(b[k] / a[k]).toFixed(1)})`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
