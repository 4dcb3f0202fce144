/**
 * Database faults under load: the service talks to MariaDB through a fault-injecting TCP proxy
 * (test/helpers/fault-proxy.ts), a few clients read continuously (REST and GraphQL), /health is
 * polled, and each scenario breaks the database for a while: `stall` (open connections, no
 * bytes), `refuse` (port closed, connections reset), `cut` (every connection reset, four times
 * a second). Prints, per scenario, the answers during the fault and the time until every answer
 * is a 200 again.
 *
 *   npm run build && node dist/bench/faults.js [--fault 5 --observe 30 --workers 16 --only stall,refuse,cut]
 *   (MYSQL_URL, default mysql://root@127.0.0.1:3306; a throwaway database is created and dropped;
 *   DB_STATEMENT_TIMEOUT_MS, DB_ACQUIRE_TIMEOUT_MS, DB_CONNECT_TIMEOUT_MS apply as in the server)
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { buildApp } from '../src/app';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { loadConfig } from '../src/config';
import { migrateLatest, openDatabase } from '../src/db/knex';
import { type FaultMode, startFaultProxy } from '../test/helpers/fault-proxy';

const { values } = parseArgs({
  options: {
    fault: { type: 'string', default: '5' },
    observe: { type: 'string', default: '30' },
    workers: { type: 'string', default: '16' },
    only: { type: 'string', default: 'stall,refuse,cut' },
    'request-cap': { type: 'string', default: '15' },
  },
});
const faultMs = Number(values.fault) * 1000;
const observeMs = Number(values.observe) * 1000;
const workers = Number(values.workers);
const capMs = Number(values['request-cap']) * 1000;
const base = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
const dbName = `csg_bench_faults_${process.pid}`;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

interface Sample {
  kind: 'rest' | 'graphql' | 'health';
  start: number;
  end: number;
  /** HTTP status, or 0 when no answer came within the cap. */
  status: number;
  /** GraphQL: the first error code. */
  code?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(kind: Sample['kind'], url: string, init: RequestInit): Promise<Sample> {
  const start = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(capMs) });
    const body = (await res.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string } }[] };
    const code = body.errors?.[0]?.extensions?.code;
    // A GraphQL answer with errors is not a success, whatever its HTTP status.
    const status = kind === 'graphql' && code && res.status === 200 ? 299 : res.status;
    return { kind, start, end: performance.now(), status, code };
  } catch {
    return { kind, start, end: performance.now(), status: 0 };
  }
}

function summarize(samples: Sample[]): string {
  if (!samples.length) return 'no requests';
  const by = new Map<string, number>();
  for (const s of samples) {
    const key = s.status === 0 ? `no answer in ${capMs / 1000} s` : s.status === 299 ? `200+${s.code}` : String(s.status);
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  const ok = samples.filter((s) => s.status === 200).length;
  const parts = [...by].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n} (${Math.round((100 * n) / samples.length)} %)`);
  const failed = samples.filter((s) => s.status !== 200).map((s) => s.end - s.start);
  const slowest = failed.length ? `; slowest failure ${Math.round(Math.max(...failed))} ms` : '';
  return `${samples.length} requests, ${Math.round((100 * (samples.length - ok)) / samples.length)} % failed — ${parts.join(', ')}${slowest}`;
}

/** From the fault's end until the first request after which every answer was a 200. */
function recovery(samples: Sample[], faultEnd: number, observedUntil: number): string {
  const after = samples.filter((s) => s.start >= faultEnd).sort((a, b) => a.start - b.start);
  let lastFailure = -1;
  after.forEach((s, i) => {
    if (s.status !== 200) lastFailure = i;
  });
  if (lastFailure === after.length - 1) return `not recovered within ${Math.round((observedUntil - faultEnd) / 1000)} s`;
  const first = after[lastFailure + 1];
  return `${Math.round(first.end - faultEnd)} ms`;
}

async function main(): Promise<void> {
  const adminUrl = `mysql://${base.username || 'root'}${base.password ? `:${base.password}` : ''}@${base.hostname}:${base.port || 3306}`;
  const admin = knexFactory({ client: 'mysql2', connection: { uri: adminUrl } as never });
  await admin.raw(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.destroy();
  const direct = openDatabase({ client: 'mysql', connection: `${adminUrl}/${dbName}` });
  const proxy = await startFaultProxy({ host: base.hostname, port: Number(base.port || 3306) });
  try {
    await migrateLatest(direct);
    const now = Date.now();
    await direct.knex('segments').insert(
      Array.from({ length: 100 }, (_, i) => ({
        tenant: 'bench',
        id: `seg-${i}`,
        name: JSON.stringify({ en: `Segment ${i}` }),
        status: 'ACTIVE',
        site_code: 'main',
        version: 1,
        created_at: now,
        modified_at: now,
      })),
    );
    await direct.knex.destroy();

    const proxied = `${adminUrl.replace(`:${base.port || 3306}`, `:${proxy.port}`)}/${dbName}`;
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      AUTH_JWT_SECRET: SECRET,
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
      DATABASE_URL: proxied,
    });
    // Knex warns on the console about every failed acquire; the figures are what matters here.
    const quiet = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };
    const db = openDatabase(config.db, config.limits, quiet);
    const { app } = await buildApp({ config, db });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const token = await signToken(SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const gql = JSON.stringify({ query: 'query($id: ID!) { segment(id: $id) { id name status } }', variables: { id: 'seg-7' } });

    console.log(
      `fault ${faultMs / 1000} s, ${workers} clients, observe ${observeMs / 1000} s after; limits:`,
      Object.fromEntries(Object.entries(config.limits).filter(([name]) => name.startsWith('db'))),
    );

    for (const scenario of values.only.split(',') as (FaultMode | 'cut')[]) {
      const samples: Sample[] = [];
      let running = true;
      const loops = Array.from({ length: workers }, async (_, w) => {
        for (let i = 0; running; i++) {
          const s =
            (i + w) % 2
              ? await call('rest', `${url}/customer-segment/bench/segments/seg-${i % 100}`, { headers })
              : await call('graphql', `${url}/graphql`, { method: 'POST', headers, body: gql });
          samples.push(s);
        }
      });
      const health = (async () => {
        while (running) {
          samples.push(await call('health', `${url}/health`, {}));
          await sleep(250);
        }
      })();

      await sleep(2000);
      const faultStart = performance.now();
      let cutter: NodeJS.Timeout | undefined;
      if (scenario === 'cut') cutter = setInterval(() => proxy.cut(), 250);
      else await proxy.setMode(scenario);
      await sleep(faultMs);
      if (cutter) clearInterval(cutter);
      await proxy.setMode('pass');
      const faultEnd = performance.now();
      // Observe until everything answers 200 for five seconds, or the observation window ends.
      const deadline = faultEnd + observeMs;
      while (performance.now() < deadline) {
        await sleep(500);
        const recent = samples.filter((s) => s.start > performance.now() - 5000 && s.start > faultEnd);
        if (recent.length > 10 && recent.every((s) => s.status === 200) && performance.now() - faultEnd > 6000) break;
      }
      const observedUntil = performance.now();
      running = false;
      await Promise.all([...loops, health]);

      // Every request that was waiting at some moment of the fault.
      const during = samples.filter((s) => s.start < faultEnd && s.end > faultStart);
      console.log(`\n== ${scenario}`);
      for (const kind of ['rest', 'graphql', 'health'] as const) {
        console.log(`  during, ${kind.padEnd(7)}: ${summarize(during.filter((s) => s.kind === kind))}`);
      }
      const api = samples.filter((s) => s.kind !== 'health');
      console.log(`  recovery (API):    ${recovery(api, faultEnd, observedUntil)}`);
      console.log(
        `  recovery (health): ${recovery(
          samples.filter((s) => s.kind === 'health'),
          faultEnd,
          observedUntil,
        )}`,
      );
      const unanswered = samples.filter((s) => s.start >= faultEnd);
      console.log(`  after the fault:   ${summarize(unanswered)}`);
    }
    await app.close();
    await Promise.race([db.knex.destroy(), sleep(2000)]);
  } finally {
    await proxy.close();
    const again = knexFactory({ client: 'mysql2', connection: { uri: adminUrl } as never });
    await again.raw(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await again.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
