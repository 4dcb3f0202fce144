import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runImport } from '../../src/import/import';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { postMatch } from './match-http';

/**
 * The PRODUCT assignments a match keeps per segment (modules/storefront/category-cover.ts,
 * migrations/011), over real HTTP: a warm match finds direct matches without probing the item
 * index, yet every write of a segment's item assignments changes the next answer at once —
 * single and bulk PUT and DELETE, a validity change in place, the import, a segment deleted and
 * created again under the same id — as does an instant across a validity bound; kept parts never cross
 * tenants; and a segment with more assignments than a part may hold answers the same, probed
 * in SQL.
 */
const PRODUCTS = ['p1', 'p2', 'p3', 'p4'];
const MAY = '2026-05-15T00:00:00.000Z';
const JUNE_1 = '2026-06-01T00:00:00.000Z';
const JUNE = '2026-06-15T00:00:00.000Z';

let t: TestApp;
let base: string;
const admins: Record<string, string> = {};
let statements: { sql: string; bindings: unknown[] }[] = [];

async function okRest(res: Promise<{ statusCode: number; body: string }>): Promise<void> {
  const r = await res;
  if (r.statusCode >= 300) throw new Error(`${r.statusCode} ${r.body}`);
}

/** Statements that probe the item index for the products asked (what a kept part replaces). */
const probes = (): unknown[] => statements.filter((s) => /ia\.item_id IN \(/i.test(s.sql));
/** Statements that read a segment's PRODUCT assignments whole (building a part). */
const partReads = (): unknown[] =>
  statements.filter((s) => /select [`"]item_id[`"], [`"]validity_from/i.test(s.sql) && s.bindings.includes('PRODUCT'));

/** POST /segments/match over real HTTP as `tenant`: the matching product ids. */
async function match(segmentIds: string[], opts: { tenant?: string; at?: string } = {}): Promise<string[]> {
  const tenant = opts.tenant ?? 'acme';
  statements = [];
  return postMatch(base, tenant, admins[tenant] as string, segmentIds, PRODUCTS, opts.at);
}

const put = (segment: string, body?: unknown, app = t) =>
  okRest(app.rest('PUT', `/segments/${segment}`, { body: body ?? { name: segment, siteCode: 'main', status: 'ACTIVE' } }));
const assign = (segment: string, item: string, body?: unknown, tenant = 'acme') =>
  okRest(t.rest('PUT', `/segments/${segment}/items/PRODUCT/${item}`, { tenant, token: admins[tenant], body }));

beforeAll(async () => {
  t = await startTestApp();
  base = await t.listen();
  t.db.knex.on('query', (q: { sql: string; bindings?: unknown[] }) =>
    statements.push({ sql: q.sql, bindings: q.bindings ?? [] }),
  );
  admins.acme = await t.token({ tenant: 'acme', scopes: [SCOPE.read, SCOPE.manage] });
  admins.other = await t.token({ tenant: 'other', scopes: [SCOPE.read, SCOPE.manage] });
  for (const s of ['gold', 'silver']) await put(s);
  await okRest(
    t.rest('PUT', '/segments/gold', {
      tenant: 'other',
      token: admins.other,
      body: { name: 'gold', siteCode: 'main', status: 'ACTIVE' },
    }),
  );
});

afterAll(async () => {
  await t.close();
});

test('a warm match probes nothing; every write of the segment changes the next answer', async () => {
  await assign('gold', 'p1');
  expect(await match(['gold'])).toEqual(['p1']);
  expect(partReads()).toHaveLength(1);
  expect(await match(['gold'])).toEqual(['p1']);
  expect(probes()).toEqual([]);
  expect(partReads()).toEqual([]);

  // Single PUT, bulk PUT, single DELETE, bulk DELETE: each is seen by the next match.
  await assign('gold', 'p2');
  expect(await match(['gold'])).toEqual(['p1', 'p2']);
  expect(partReads()).toHaveLength(1);
  await okRest(t.rest('PUT', '/segments/gold/items/PRODUCT/bulk', { body: [{ id: 'p3' }, { id: 'p4' }] }));
  expect(await match(['gold'])).toEqual(['p1', 'p2', 'p3', 'p4']);
  await okRest(t.rest('DELETE', '/segments/gold/items/PRODUCT/p1'));
  expect(await match(['gold'])).toEqual(['p2', 'p3', 'p4']);
  await okRest(t.rest('DELETE', '/segments/gold/items/PRODUCT/bulk', { body: ['p3', 'p4'] }));
  expect(await match(['gold'])).toEqual(['p2']);
  // A validity change in place (the upsert's update path): p2 from June only.
  await assign('gold', 'p2', { validity: { from: JUNE_1 } });
  expect(await match(['gold'], { at: MAY })).toEqual([]);
  expect(await match(['gold'], { at: JUNE })).toEqual(['p2']);
  // Another segment's write leaves gold's part kept.
  await assign('silver', 'p3');
  expect(await match(['gold'], { at: JUNE })).toEqual(['p2']);
  expect(partReads()).toEqual([]);
  expect(probes()).toEqual([]);
  expect(await match(['gold', 'silver'], { at: JUNE })).toEqual(['p2', 'p3']);
});

test('a set asked again is answered from the union of its parts, and a write to one of them is seen', async () => {
  await put('u1');
  await put('u2');
  await assign('u1', 'p1');
  await assign('u2', 'p2');
  const unions = () => (t.services.storefront.cover as unknown as { unions: { size: number } }).unions.size;
  const before = unions();
  expect(await match(['u1', 'u2'])).toEqual(['p1', 'p2']);
  // Asked once: no union yet; asked again: two (of their PRODUCT parts, and of their CATEGORY
  // parts, which the unmatched products' walk asks), and the same answer.
  expect(unions()).toBe(before);
  expect(await match(['u1', 'u2'])).toEqual(['p1', 'p2']);
  expect(unions()).toBe(before + 2);
  expect(await match(['u1', 'u2'])).toEqual(['p1', 'p2']);
  expect(probes()).toEqual([]);
  // A write to u2 rebuilds its part: the kept union is not used again.
  await okRest(t.rest('DELETE', '/segments/u2/items/PRODUCT/p2'));
  await assign('u2', 'p3');
  expect(await match(['u1', 'u2'])).toEqual(['p1', 'p3']);
  expect(await match(['u1', 'u2'])).toEqual(['p1', 'p3']);
  expect(await match(['u1', 'u2'])).toEqual(['p1', 'p3']);
});

test("the import's multi-row statements are seen by the next match", async () => {
  await put('imported');
  expect(await match(['imported'])).toEqual([]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'match-direct-'));
  const file = path.join(dir, 'in.ndjson');
  fs.writeFileSync(
    file,
    ['p2', 'p4']
      .map((itemId) => JSON.stringify({ kind: 'itemAssignment', segmentId: 'imported', type: 'PRODUCT', itemId }))
      .join('\n'),
  );
  try {
    const summary = await runImport({ db: t.db, tenant: 'acme', files: [file] });
    expect(summary.rejected).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(await match(['imported'])).toEqual(['p2', 'p4']);
});

test('a segment deleted and created again under the same id never meets its old part', async () => {
  await put('bronze');
  await assign('bronze', 'p1');
  expect(await match(['bronze'])).toEqual(['p1']);
  await okRest(t.rest('DELETE', '/segments/bronze?forceDelete=true'));
  await put('bronze');
  // As many item writes as before, so the new segment's item version equals the old one's.
  await assign('bronze', 'p4');
  expect(await match(['bronze'])).toEqual(['p4']);
  const [row] = (await t.db.knex('segments').where({ tenant: 'acme', id: 'bronze' }).select('item_version')) as {
    item_version: number | string;
  }[];
  expect(Number(row?.item_version)).toBe(1);
});

test('the segment set is read on every request: status and site are never kept', async () => {
  await assign('silver', 'p4');
  expect(await match(['silver'])).toEqual(['p3', 'p4']);
  await okRest(t.rest('PATCH', '/segments/silver', { body: [{ op: 'replace', path: '/status', value: 'INACTIVE' }] }));
  expect(await match(['silver'])).toEqual([]);
  await okRest(t.rest('PATCH', '/segments/silver', { body: [{ op: 'replace', path: '/status', value: 'ACTIVE' }] }));
  expect(await match(['silver'])).toEqual(['p3', 'p4']);
});

test('kept parts never cross tenants', async () => {
  // other's gold: only p3. acme's gold holds p2 (from June).
  await assign('gold', 'p3', undefined, 'other');
  expect(await match(['gold'], { tenant: 'other', at: JUNE })).toEqual(['p3']);
  expect(await match(['gold'], { at: JUNE })).toEqual(['p2']);
  expect(await match(['gold'], { tenant: 'other', at: JUNE })).toEqual(['p3']);
});

test('GraphQL reasons come from the same parts', async () => {
  const res = await t.gql<{ matchItems: { productId: string; reasons: { segmentId: string; via: string }[] }[] }>(
    `query($p: [ID!]!, $at: DateTimeISO) { matchItems(siteCode: "main", segmentIds: ["gold", "silver"], productIds: $p, at: $at) { productId reasons { segmentId via } } }`,
    { p: PRODUCTS, at: JUNE },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data?.matchItems).toEqual([
    { productId: 'p2', reasons: [{ segmentId: 'gold', via: 'DIRECT' }] },
    { productId: 'p3', reasons: [{ segmentId: 'silver', via: 'DIRECT' }] },
    { productId: 'p4', reasons: [{ segmentId: 'silver', via: 'DIRECT' }] },
  ]);
});

test('a segment with more assignments than a part may hold answers the same, probed in SQL', async () => {
  // 1,800 bytes: four rows a part; gold gets five assignments.
  const small = await startTestApp({ CATEGORY_COVER_CACHE_BYTES: '1800' });
  try {
    const sql: { sql: string; bindings: unknown[] }[] = [];
    small.db.knex.on('query', (q: { sql: string; bindings?: unknown[] }) => sql.push({ sql: q.sql, bindings: q.bindings ?? [] }));
    await put('gold', undefined, small);
    const ids = ['p1', 'p2', 'x-1', 'x-2', 'x-3'];
    await okRest(small.rest('PUT', '/segments/gold/items/PRODUCT/bulk', { body: ids.map((id) => ({ id })) }));
    for (let i = 0; i < 2; i++) {
      sql.length = 0;
      const res = await small.rest('POST', '/segments/match', {
        body: { siteCode: 'main', segmentIds: ['gold'], items: PRODUCTS.map((id) => ({ id })) },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([{ id: 'p1' }, { id: 'p2' }]);
      expect(sql.filter((s) => /ia\.item_id IN \(/i.test(s.sql))).toHaveLength(1);
      // Known from the segment's counter: its PRODUCT assignments are never read whole.
      const whole = sql.filter((s) => /select [`"]item_id[`"], [`"]validity_from/i.test(s.sql));
      expect(whole.filter((s) => s.bindings.includes('PRODUCT'))).toEqual([]);
    }
  } finally {
    await small.close();
  }
});

test('a set whose segments fit one by one but not together is matched in SQL', async () => {
  // 1,800 bytes: four rows a part. a has three assignments, b two: each fits, the two do not.
  const small = await startTestApp({ CATEGORY_COVER_CACHE_BYTES: '1800' });
  try {
    const sql: { sql: string; bindings: unknown[] }[] = [];
    small.db.knex.on('query', (q: { sql: string; bindings?: unknown[] }) => sql.push({ sql: q.sql, bindings: q.bindings ?? [] }));
    for (const [id, items] of [
      ['a', ['p1', 'x-1', 'x-2']],
      ['b', ['p2', 'x-3']],
    ] as const) {
      await put(id, undefined, small);
      await okRest(small.rest('PUT', `/segments/${id}/items/PRODUCT/bulk`, { body: items.map((item) => ({ id: item })) }));
    }
    const ask = async (segmentIds: string[]) => {
      sql.length = 0;
      const res = await small.rest('POST', '/segments/match', {
        body: { siteCode: 'main', segmentIds, items: PRODUCTS.map((id) => ({ id })) },
      });
      expect(res.statusCode).toBe(200);
      return {
        ids: (res.json() as { id: string }[]).map((m) => m.id),
        probes: sql.filter((s) => /ia\.item_id IN \(/i.test(s.sql)).length,
        partReads: sql.filter((s) => /select [`"]item_id[`"], [`"]validity_from/i.test(s.sql)).length,
      };
    };
    expect(await ask(['a'])).toEqual({ ids: ['p1'], probes: 0, partReads: 2 });
    expect(await ask(['a'])).toEqual({ ids: ['p1'], probes: 0, partReads: 0 });
    for (let i = 0; i < 2; i++) expect(await ask(['a', 'b'])).toEqual({ ids: ['p1', 'p2'], probes: 1, partReads: 0 });
  } finally {
    await small.close();
  }
});
