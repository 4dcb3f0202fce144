/**
 * What the abuse benches (memory.ts, cost-wait.ts) share: a throwaway database, our server in a
 * child process of its own (so its memory and event loop are measured alone), a keep-alive HTTP
 * client, and the child's RSS.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import type { DbConfig } from '../src/config';
import { type Database, migrateLatest, openDatabase } from '../src/db/knex';
import { SegmentRepository } from '../src/modules/segments/segment.repository';
import type { SegmentDraft } from '../src/modules/segments/segment.validation';
import { SegmentStatus } from '../src/modules/segments/segment.type';

export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface BenchDatabase {
  db: Database;
  /** Settings that point the server at the same database. */
  env: Record<string, string>;
  label: string;
  drop: () => Promise<void>;
}

/** A migrated throwaway database: MariaDB/MySQL at MYSQL_URL, or a SQLite file in a temp dir. */
export async function benchDatabase(kind: 'mysql' | 'sqlite'): Promise<BenchDatabase> {
  if (kind === 'mysql') {
    const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
    const name = `csg_bench_${randomBytes(4).toString('hex')}`;
    const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.destroy();
    const config: DbConfig = { client: 'mysql', connection: `${base}/${name}` };
    const db = openDatabase(config);
    await migrateLatest(db);
    return {
      db,
      env: { DATABASE_URL: config.connection },
      label: 'MariaDB/MySQL',
      drop: async () => {
        await db.knex.destroy();
        const again = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
        await again.raw(`DROP DATABASE IF EXISTS \`${name}\``);
        await again.destroy();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-bench-'));
  const config: DbConfig = { client: 'sqlite', connection: path.join(dir, 'bench.sqlite') };
  const db = openDatabase(config);
  await migrateLatest(db);
  return {
    db,
    env: { SQLITE_FILE: config.connection, DATA_DIR: dir },
    label: 'SQLite',
    drop: async () => {
      await db.knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Our server (dist/src/server.js) in its own process, answering HTTP on `port`. */
/** The V8 flags `npm start` runs the server with (package.json, HEAP_LIMIT_MB's default). */
export const SERVER_NODE_ARGS = ['--max-old-space-size=192'];

export async function spawnServer(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const script = path.join(__dirname, '..', 'src', 'server.js');
  const child = fork(script, [], {
    execArgv: SERVER_NODE_ARGS,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: BENCH_SECRET,
      LOG_LEVEL: 'silent',
      PORT: String(port),
      ...env,
    },
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error('the server did not start');
}

/** Resident set size of a process, in MB. */
export function rssMb(pid: number): number {
  if (process.platform === 'linux') {
    const line = fs
      .readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return Number(line?.match(/\d+/)?.[0] ?? 0) / 1024;
  }
  return (
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) / 1024
  );
}

export interface Answer {
  status: number;
  text: string;
}

/** A keep-alive HTTP client to one origin, at most `connections` sockets. */
export function client(origin: string, connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const send = (method: string, url: string, headers: Record<string, string>, body?: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const all = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
      const req = http.request(`${origin}${url}`, { method, agent, headers: all });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    get: (url: string, headers: Record<string, string> = {}) => send('GET', url, headers),
    graphql: (query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>) =>
      send('POST', '/graphql', { ...headers, 'content-type': 'application/json' }, JSON.stringify({ query, variables })),
    close: () => agent.destroy(),
  };
}

/** What a closed-loop run measured: latency p50 (ms), requests per second, and the statuses seen. */
export interface LoopLoad {
  p50: number;
  rps: number;
  statuses: Record<string, number>;
  /** Mean response body bytes, as sent (compressed when it was). */
  bytes: number;
}

/**
 * GETs of `url` for `seconds` from `connections` keep-alive sockets, each sending its next
 * request when the last answer has ended, the bodies counted and dropped.
 *
 * For answers of a megabyte and more, where autocannon measures itself: it keeps every response
 * body as a string (8.x and 9.0: `req.body += chunk`, over http-parser-js), which for the
 * 1 MB gzip category tree at 2,000,000 lines pegged its core at 67 req/s while the server used
 * 19% of its own. Latency is from the request's start to the body's last byte, as autocannon's.
 */
export async function closedLoop(
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<LoopLoad> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let bytes = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      const req = http.get(url, { agent, headers }, (res) => {
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
        res.on('error', reject);
      });
      req.setTimeout(120_000, () => req.destroy(new Error(`no answer from ${url} in 120 s`)));
      req.on('error', reject);
    });
  const began = Date.now();
  const end = began + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < end) await one();
      }),
    );
  } finally {
    agent.destroy();
  }
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  return {
    p50: n ? Math.round(latencies[Math.floor(n / 2)] as number) : NaN,
    rps: n / ((Date.now() - began) / 1000),
    statuses,
    bytes: n ? Math.round(bytes / n) : 0,
  };
}

/** A plain segment of the benches' tenants: active, site `main`, its id as its name, no rules. */
export function plainSegment(id: string): SegmentDraft {
  return {
    id,
    name: { en: id },
    description: null,
    validityFrom: null,
    validityTo: null,
    status: SegmentStatus.ACTIVE,
    siteCode: 'main',
    mixins: null,
    metadataMixins: null,
    customerRule: null,
    itemRule: null,
    ruleUsesNow: false,
  };
}

/** Creates plain segments (plainSegment) through the repository, as the API would. */
export async function createPlainSegments(db: Database, tenant: string, ids: readonly string[]): Promise<void> {
  await new SegmentRepository(db, false).createMany(tenant, ids.map(plainSegment));
}

/** The tables `npm run import` writes (scripts/gen-import.ts's six line kinds and their links). */
export const IMPORT_TABLES = [
  'customers',
  'legal_entities',
  'customer_legal_entities',
  'products',
  'product_categories',
  'categories',
  'customer_assignments',
  'item_assignments',
];
