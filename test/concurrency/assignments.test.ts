/**
 * Customer and item assignments under concurrency (issue 8, finding 1): single and bulk
 * upserts and deletes on one segment at once. Every answer is documented, never a 5xx; each key
 * is created exactly once (one 201 over all answers), no update is lost (version = number of
 * writes), and exactly the deleted keys are gone.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { countRows, range, report, tally } from '../helpers/concurrency';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function segment(id: string): Promise<void> {
  const res = await t.rest('PUT', `/segments/${id}`, { body: { name: { en: id }, siteCode: 'main' } });
  expect(res.statusCode).toBe(201);
}

interface Outcome {
  statuses: number[];
  /** Element codes of the bulk answers. */
  elements: number[];
}

async function run(calls: Promise<{ statusCode: number; json: () => unknown }>[]): Promise<Outcome> {
  const res = await Promise.all(calls);
  return {
    statuses: res.map((r) => r.statusCode),
    elements: res.filter((r) => r.statusCode === 207).flatMap((r) => (r.json() as { code: number }[]).map((e) => e.code)),
  };
}

test('customers: single and bulk upserts and deletes at once — exact rows, one creation per key, no lost update', async () => {
  const s = 'ca-seg';
  await segment(s);
  // The keys written: C0…C9 as B2C and as B2B for L1. The keys deleted: D0…D11, present before.
  const keys = range(10, (i) => [{ customerId: `C${i}` }, { customerId: `C${i}`, legalEntityId: 'L1' }]).flat();
  const gone = range(12, (i) => ({ customerId: `D${i}`, legalEntityId: i % 2 ? 'L1' : undefined }));
  expect((await t.rest('PUT', `/segments/${s}/customers/bulk`, { body: gone })).statusCode).toBe(207);
  const path = (k: { customerId: string; legalEntityId?: string }) =>
    `/segments/${s}/customers/${k.customerId}${k.legalEntityId ? `/${k.legalEntityId}` : ''}`;

  const calls = [
    // Each key three times one by one…
    ...range(3, (round) => keys.map((k) => t.rest('PUT', path(k), { body: { mixins: { round } } }))).flat(),
    // …and in eight bulk requests of ten keys each (each key in four of them).
    ...range(8, (i) => t.rest('PUT', `/segments/${s}/customers/bulk`, { body: range(10, (j) => keys[(i * 5 + j) % 20]) })),
    ...gone.slice(0, 6).map((k) => t.rest('DELETE', path(k))),
    t.rest('DELETE', `/segments/${s}/customers/bulk`, { body: gone.slice(6, 9) }),
    t.rest('DELETE', `/segments/${s}/customers/bulk`, { body: gone.slice(9) }),
    t.rest('DELETE', `/segments/${s}/customers/bulk`, { body: [{ customerId: 'never-there' }] }),
  ];
  const { statuses, elements } = await run(calls);
  report('customer assignments: single + bulk upserts and deletes, one segment', statuses, { elements: tally(elements) });
  expect(tally(statuses.filter((c) => c >= 500))).toEqual({});
  // 60 single PUTs + 8 bulk PUTs (80 elements) + 6 single DELETEs + 3 bulk DELETEs (7 elements).
  const singles = tally(statuses.slice(0, 60));
  const bulkCreated = elements.filter((c) => c === 201).length;
  expect(singles[201] ?? 0).toBe(20 - bulkCreated);
  expect((singles[201] ?? 0) + (singles[204] ?? 0)).toBe(60);
  expect(tally(statuses.slice(60))).toEqual({ 204: 6, 207: 11 });
  expect(tally(elements.filter((c) => c !== 201))).toEqual({ 204: 80 - bulkCreated + 7 });

  expect(await countRows(t.db, 'customer_assignments', { segment_id: s })).toBe(20);
  const versions = await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: s }).select('version');
  // Three single writes and four bulk writes per key.
  expect(versions.map((r) => Number(r.version))).toEqual(range(20, () => 7));
});

test('items: single and bulk upserts and deletes at once, products and categories — exact rows, no lost update', async () => {
  const s = 'ia-seg';
  await segment(s);
  for (const type of ['PRODUCT', 'CATEGORY']) {
    const body = range(8, (i) => ({ id: `gone-${i}` }));
    expect((await t.rest('PUT', `/segments/${s}/items/${type}/bulk`, { body })).statusCode).toBe(207);
  }
  const ids = range(10, (i) => `i${i}`);
  const calls = ['PRODUCT', 'CATEGORY'].flatMap((type) => [
    ...range(3, (round) =>
      ids.map((id) => t.rest('PUT', `/segments/${s}/items/${type}/${id}`, { body: { mixins: { round } } })),
    ).flat(),
    ...range(4, (i) =>
      t.rest('PUT', `/segments/${s}/items/${type}/bulk`, { body: range(5, (j) => ({ id: ids[(i * 5 + j) % 10] })) }),
    ),
    ...range(4, (i) => t.rest('DELETE', `/segments/${s}/items/${type}/gone-${i}`)),
    t.rest('DELETE', `/segments/${s}/items/${type}/bulk`, { body: ['gone-4', 'gone-5'] }),
    t.rest('DELETE', `/segments/${s}/items/${type}/bulk`, { body: ['gone-6', 'gone-7', 'never-there'] }),
  ]);
  const { statuses, elements } = await run(calls);
  report('item assignments: single + bulk upserts and deletes, one segment', statuses, { elements: tally(elements) });
  expect(statuses.filter((c) => c >= 500)).toEqual([]);
  const created = statuses.filter((c) => c === 201).length + elements.filter((c) => c === 201).length;
  expect(created).toBe(20);
  expect(statuses.filter((c) => ![201, 204, 207].includes(c))).toEqual([]);
  expect(elements.filter((c) => ![201, 204].includes(c))).toEqual([]);

  expect(await countRows(t.db, 'item_assignments', { segment_id: s })).toBe(20);
  const versions = await t.db.knex('item_assignments').where({ tenant: 'acme', segment_id: s }).select('version');
  // Three single writes and two bulk writes per key.
  expect(versions.map((r) => Number(r.version))).toEqual(range(20, () => 5));
});

test('a segment force-deleted while its assignments are written: no assignment outlives it', async () => {
  const all: number[] = [];
  const left: Record<string, number[]> = {};
  const deletes: number[] = [];
  for (let round = 0; round < 5; round++) {
    const s = `doomed-${round}`;
    await segment(s);
    const calls = [
      t.rest('DELETE', `/segments/${s}?forceDelete=true`),
      ...range(10, (i) => t.rest('PUT', `/segments/${s}/customers/c${i}`, { body: {} })),
      ...range(10, (i) => t.rest('PUT', `/segments/${s}/items/PRODUCT/p${i}`, { body: {} })),
      t.rest('PUT', `/segments/${s}/customers/bulk`, { body: range(5, (i) => ({ customerId: `b${i}` })) }),
      t.rest('PUT', `/segments/${s}/items/CATEGORY/bulk`, { body: range(5, (i) => ({ id: `k${i}` })) }),
    ];
    const { statuses } = await run(calls);
    all.push(...statuses);
    deletes.push(statuses[0]);
    left[s] = [
      await countRows(t.db, 'segments', { id: s }),
      await countRows(t.db, 'customer_assignments', { segment_id: s }),
      await countRows(t.db, 'item_assignments', { segment_id: s }),
    ];
  }
  report('force delete during assignment writes (5 rounds)', all);
  // Writes after the delete find no segment: 404, as for any missing segment.
  expect(all.filter((c) => ![201, 204, 207, 404].includes(c))).toEqual([]);
  expect(deletes).toEqual([204, 204, 204, 204, 204]);
  expect(left).toEqual(Object.fromEntries(range(5, (round) => [`doomed-${round}`, [0, 0, 0]])));
});
