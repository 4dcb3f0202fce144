/**
 * A mixed read/write load over real HTTP on MariaDB: reads, PUT creates and updates, bulk
 * upserts, assignment upserts and deletes (single and bulk), segment bulk deletes and
 * category moves, from 20 connections at once. Prints the answers by status and fails on any
 * 5xx (or GraphQL INTERNAL_SERVER_ERROR): lock contention must never reach a client.
 *
 *   npm run build && node dist/bench/writes.js [--seconds 60 --connections 20]
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

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '20' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const dbName = `csg_bench_writes_${process.pid}`;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const PORT = 4303;
const B = '/customer-segment/bench';

const r = (n: number): number => Math.floor(Math.random() * n);
/** Up to `n` distinct numbers below `max`. */
const some = (n: number, max: number): number[] => [...new Set(Array.from({ length: n }, () => r(max)))];
const seg = (extra: Record<string, unknown> = {}): string => JSON.stringify({ name: { en: 'S' }, siteCode: 'main', ...extra });

interface Op {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: string;
}

/** [weight, request]: segments s0…s49 exist; n…, b…, c…, p…, k…, cat… are created as the load goes. */
const OPS: [number, () => Op][] = [
  [30, () => ({ method: 'GET', path: `${B}/segments/s${r(50)}` })],
  [5, () => ({ method: 'GET', path: `${B}/segments/s${r(50)}/customers` })],
  [15, () => ({ method: 'PUT', path: `${B}/segments/n${r(2000)}`, body: seg() })],
  [5, () => ({ method: 'PUT', path: `${B}/segments/s${r(50)}`, body: seg() })],
  [
    8,
    () => ({
      method: 'PUT',
      path: `${B}/segments/bulk`,
      body: JSON.stringify(some(5, 300).map((v) => JSON.parse(seg({ id: `b${v}` })))),
    }),
  ],
  [10, () => ({ method: 'PUT', path: `${B}/segments/s${r(50)}/customers/c${r(200)}`, body: '{}' })],
  [
    5,
    () => ({
      method: 'PUT',
      path: `${B}/segments/s${r(50)}/customers/bulk`,
      body: JSON.stringify(some(5, 200).map((v) => ({ customerId: `c${v}`, legalEntityId: 'L' }))),
    }),
  ],
  [5, () => ({ method: 'DELETE', path: `${B}/segments/s${r(50)}/customers/c${r(200)}` })],
  [8, () => ({ method: 'PUT', path: `${B}/segments/s${r(50)}/items/PRODUCT/p${r(200)}`, body: '{}' })],
  [
    4,
    () => ({
      method: 'PUT',
      path: `${B}/segments/s${r(50)}/items/CATEGORY/bulk`,
      body: JSON.stringify(some(5, 200).map((v) => ({ id: `k${v}` }))),
    }),
  ],
  [2, () => ({ method: 'DELETE', path: `${B}/segments/bulk`, body: JSON.stringify([`n${r(2000)}`, `b${r(300)}`]) })],
  [
    3,
    () => ({
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({
        query: 'mutation($i: [CategoryInput!]!) { upsertCategories(input: $i) }',
        variables: { i: [{ id: `cat${r(30)}`, parentId: `cat${r(30)}` }] },
      }),
    }),
  ],
];
const TOTAL = OPS.reduce((n, [w]) => n + w, 0);
function pick(): Op {
  let x = r(TOTAL);
  for (const [w, make] of OPS) if ((x -= w) < 0) return make();
  return OPS[0][1]();
}

async function main(): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  let server: ChildProcess | undefined;
  try {
    server = fork(path.join(__dirname, '..', 'src', 'server.js'), [], {
      env: {
        ...process.env,
        DATABASE_URL: `${base}/${dbName}`,
        PORT: String(PORT),
        NODE_ENV: 'production',
        AUTH_JWT_SECRET: SECRET,
        LOG_LEVEL: 'silent',
        RATE_LIMIT: 'false',
      },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${PORT}`;
    for (let i = 0; i < 200; i++) {
      try {
        await fetch(`${url}/health`);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const token = await signToken(SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    for (let i = 0; i < 50; i++) await fetch(`${url}${B}/segments/s${i}`, { method: 'PUT', headers: json, body: seg() });

    const statuses: Record<number, number> = {};
    let internal = 0;
    const result = await autocannon({
      url,
      connections,
      duration: seconds,
      requests: [
        {
          // A JSON content type only with a body: autocannon keeps it on body-less requests
          // otherwise, and those then never complete.
          setupRequest: (req) => {
            const op = pick();
            return { ...req, ...op, headers: op.body === undefined ? auth : json };
          },
          onResponse: (status, body) => {
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 200 && body.includes('INTERNAL_SERVER_ERROR')) internal++;
          },
        },
      ],
    });
    const failed = Object.entries(statuses).reduce((n, [s, c]) => n + (Number(s) >= 500 ? c : 0), 0) + internal;
    console.log(`${seconds} s, ${connections} connections, MariaDB: ${result.requests.total} requests, ${result.errors} errors`);
    console.log(`answers by status: ${JSON.stringify(statuses)}; GraphQL internal errors: ${internal}`);
    if (failed || result.errors) {
      console.error(`${failed} answers were 5xx or internal errors`);
      process.exitCode = 1;
    }
  } finally {
    server?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await admin.raw(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
