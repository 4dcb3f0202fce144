/**
 * Read throughput against a baseline: a bare Fastify + mysql2 handler doing the same
 * primary-key read. Prints requests/s for each and our share of the baseline (targets: REST
 * 70 %, GraphQL 55 %). Loopback only, bounded in time.
 *
 *   npm run bench [-- --seconds 5 --rounds 3 --connections 20]   (BENCH_LOG_LEVEL=silent: no access log)
 *   (MYSQL_URL, default mysql://root@127.0.0.1:3306; a throwaway database is created and dropped)
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import knexFactory from 'knex';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { migrateLatest, openDatabase } from '../src/db/knex';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
  },
});
const rounds = Number(values.rounds);
let seconds = Number(values.seconds);
const connections = Number(values.connections);
const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const dbName = `csg_bench_${process.pid}`;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

async function load2s(run: () => Promise<number>): Promise<void> {
  const keep = seconds;
  seconds = 2;
  try {
    await run();
  } finally {
    seconds = keep;
  }
}

async function load(url: string, opts: { headers?: Record<string, string>; method?: 'GET' | 'POST'; body?: string }) {
  const result = await autocannon({ url, connections, duration: seconds, ...opts });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/** Starts a server script in its own process and waits until it answers HTTP. */
async function spawnServer(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(script, [], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const port = env.PORT;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error(`${script} did not start`);
}

async function main(): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.destroy();
  const url = `${base}/${dbName}`;
  const db = openDatabase({ client: 'mysql', connection: url });
  const children: ChildProcess[] = [];
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

    // Each server runs in a process of its own; the load generator stays here, so the figures
    // compare the servers' own work rather than how they share one event loop with autocannon.
    const baselinePort = 4301;
    const ourPort = 4302;
    const bare = await spawnServer(path.join(__dirname, 'baseline-server.js'), { MYSQL_DB_URL: url, PORT: String(baselinePort) });
    const ours = await spawnServer(path.join(__dirname, '..', 'src', 'server.js'), {
      DATABASE_URL: url,
      PORT: String(ourPort),
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: SECRET,
      // Measured as it runs in production: with the access log (written to nowhere: stdio is
      // ignored). BENCH_LOG_LEVEL=silent measures without it.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // One client's token: production's rate limit would answer most of the run with 429s.
      RATE_LIMIT: 'false',
    });
    const bareUrl = `http://127.0.0.1:${baselinePort}`;
    children.push(bare, ours);
    const ourUrl = `http://127.0.0.1:${ourPort}`;
    const token = await signToken(SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const auth = { authorization: `Bearer ${token}` };

    const gqlBody = JSON.stringify({
      query:
        'query($id: ID!) { segment(id: $id) { id name description status siteCode mixins metadata { version createdAt modifiedAt } } }',
      variables: { id: 'seg-500' },
    });
    const runs = {
      baseline: () => load(`${bareUrl}/segments/seg-500`, {}),
      rest: () => load(`${ourUrl}/customer-segment/bench/segments/seg-500`, { headers: auth }),
      graphql: () =>
        load(`${ourUrl}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: gqlBody }),
    };
    // Two cores are shared by the load generator, the servers and MariaDB, so one run is noisy:
    // warm every server up, then interleave the runs and report medians.
    for (const run of Object.values(runs)) await load2s(run);
    const figures: Record<keyof typeof runs, number[]> = { baseline: [], rest: [], graphql: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(runs) as [keyof typeof runs, () => Promise<number>][])
        figures[name].push(await run());
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const baseline = median(figures.baseline);
    const rest = median(figures.rest);
    const gql = median(figures.graphql);
    const pct = (x: number) => `${((100 * x) / baseline).toFixed(0)} %`;
    console.log(`${seconds}s per run, ${rounds} interleaved rounds (medians), ${connections} connections, MariaDB`);
    console.log(
      `baseline (Fastify + mysql2)  ${baseline.toFixed(0)} req/s   runs: ${figures.baseline.map((x) => x.toFixed(0)).join(' ')}`,
    );
    console.log(
      `REST GET /segments/{id}      ${rest.toFixed(0)} req/s  ${pct(rest)} of baseline (target 70 %)   runs: ${figures.rest.map((x) => x.toFixed(0)).join(' ')}`,
    );
    console.log(
      `GraphQL segment(id)          ${gql.toFixed(0)} req/s  ${pct(gql)} of baseline (target 55 %)   runs: ${figures.graphql.map((x) => x.toFixed(0)).join(' ')}`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
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
