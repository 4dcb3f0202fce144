import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app';

/**
 * Every cache keyed by what a client sends is bounded: Apollo's document store, the compiled
 * operations (graphql/jit.ts). Distinct operations — introspection without a token, real
 * queries with one — over real HTTP with keep-alive must leave the heap, after a forced GC,
 * within 64 MB of where it started. Before the bounds, 10,000 small introspection queries
 * alone left ~115 MB behind and the growth did not stop.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const PER_KIND = 10_000; // 20,000 distinct operations in all
const CONCURRENCY = 8;
const BOUND = 64 * 1024 * 1024;

let t: TestApp;
let url: string;
let auth: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/graphql`;
  auth = `Bearer ${await t.token()}`;
  for (const id of ['s1', 's2', 's3']) {
    const res = await t.gql('mutation($i: SegmentInput!) { createSegment(input: $i) { id } }', {
      i: { id, name: { en: id }, siteCode: 'main' },
    });
    expect(res.errors).toBeUndefined();
  }
});
afterAll(async () => {
  agent.destroy();
  await t.close();
});

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const introspection = (i: number) => `query Q${i} { __schema { types { name fields { name } } } }`;
const segments = (i: number) => `{ s${i}: segments(pageSize: ${1 + (i % 1000)}) { items { id name } } }`;

// node:http with keep-alive: a third of fetch's per-request cost on the client side, which
// shares this process (and its core) with the server.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `count` operations made by `make`, CONCURRENCY at a time; every answer must be data. */
async function send(make: (i: number) => string, count: number, from: number, token: boolean): Promise<void> {
  let next = from;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = auth;
  const worker = async () => {
    while (next < from + count) {
      const i = next++;
      const res = await post(JSON.stringify({ query: make(i) }), headers);
      const body = JSON.parse(res.text) as { data?: Record<string, unknown>; errors?: unknown };
      if (res.status !== 200 || body.errors || !body.data) throw new Error(`${res.status} ${res.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

test(`${2 * PER_KIND} distinct operations leave the heap within 64 MB of where it started`, async () => {
  // Warm up every code path first, so that what is measured is what the caches keep.
  await send(introspection, 300, 0, false);
  await send(segments, 300, 0, true);
  const start = heapAfterGc();
  const t0 = Date.now();
  await send(introspection, PER_KIND, 1_000_000, false);
  const afterIntrospection = heapAfterGc();
  const t1 = Date.now();
  await send(segments, PER_KIND, 1_000_000, true);
  const end = heapAfterGc();
  const t2 = Date.now();

  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `heap after GC: start ${mb(start)}; after ${PER_KIND} introspection queries without a token ${mb(afterIntrospection)} ` +
      `(${t1 - t0} ms); after ${PER_KIND} queries with a token ${mb(end)} (${t2 - t1} ms)`,
  );
  expect(afterIntrospection - start).toBeLessThan(BOUND);
  expect(end - start).toBeLessThan(BOUND);
  // ~40 s on an idle 2-core machine; the bound is on memory, so a loaded machine only waits longer.
}, 600_000);
