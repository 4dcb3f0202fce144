/**
 * Read throughput against a baseline: a bare Fastify + mysql2 handler doing the same
 * primary-key read. Prints requests/s for each and our share of the baseline (targets: REST
 * 70 %, GraphQL 55 %). Loopback only, bounded in time.
 *
 *   npm run build && node dist/bench/reads.js [--seconds 10] [--connections 20]
 *   (MYSQL_URL, default mysql://root@127.0.0.1:3306; a throwaway database is created and dropped)
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import { buildApp } from '../src/app';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { loadConfig } from '../src/config';
import { migrateLatest, openDatabase } from '../src/db/knex';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '20' } },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const dbName = `csg_bench_${process.pid}`;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

async function load(url: string, opts: { headers?: Record<string, string>; method?: 'GET' | 'POST'; body?: string }) {
  const result = await autocannon({ url, connections, duration: seconds, ...opts });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

async function main(): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.destroy();
  const url = `${base}/${dbName}`;
  const db = openDatabase({ client: 'mysql', connection: url });
  try {
    await migrateLatest(db);
    const now = Date.now();
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      tenant: 'bench',
      id: `seg-${i}`,
      name: JSON.stringify({ en: `Segment ${i}`, de: `Segment ${i}` }),
      description: JSON.stringify({ en: 'A benchmark segment' }),
      validity_from: null,
      validity_to: null,
      status: i % 2 ? 'ACTIVE' : 'INACTIVE',
      site_code: 'main',
      mixins: JSON.stringify({ a: { b: i } }),
      metadata_mixins: null,
      version: 1,
      created_at: now + i,
      modified_at: now + i,
    }));
    await db.knex('segments').insert(rows);

    // Baseline: the same primary-key read, no framework of ours.
    const pool = mysql.createPool({ uri: url, connectionLimit: 10, jsonStrings: true });
    const bare = Fastify();
    bare.get('/segments/:id', async (req) => {
      const [found] = await pool.query('SELECT * FROM segments WHERE tenant = ? AND id = ?', [
        'bench',
        (req.params as { id: string }).id,
      ]);
      return (found as unknown[])[0];
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

    const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent' });
    config.db = { client: 'mysql', connection: url };
    const { app } = await buildApp({ config, db });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const ourUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const token = await signToken(SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const auth = { authorization: `Bearer ${token}` };

    console.log(`${seconds}s per run, ${connections} connections, MariaDB, 1000 segments`);
    const baseline = await load(`${bareUrl}/segments/seg-500`, {});
    const rest = await load(`${ourUrl}/customer-segment/bench/segments/seg-500`, { headers: auth });
    const gql = await load(`${ourUrl}/graphql`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'query($id: ID!) { segment(id: $id) { id name description status siteCode mixins metadata { version createdAt modifiedAt } } }',
        variables: { id: 'seg-500' },
      }),
    });
    const pct = (x: number) => `${((100 * x) / baseline).toFixed(0)} %`;
    console.log(`baseline (Fastify + mysql2)  ${baseline.toFixed(0)} req/s`);
    console.log(`REST GET /segments/{id}      ${rest.toFixed(0)} req/s  ${pct(rest)} of baseline (target 70 %)`);
    console.log(`GraphQL segment(id)          ${gql.toFixed(0)} req/s  ${pct(gql)} of baseline (target 55 %)`);
    await app.close();
    await bare.close();
    await pool.end();
  } finally {
    await db.knex.destroy().catch(() => undefined);
    const again = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
    await again.raw(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await again.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
