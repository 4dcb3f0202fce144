/**
 * Segment writes under concurrency (issue 8, finding 1): many requests at once, through the
 * real app and context, each answered with a documented status — never a 5xx — and the rows
 * afterwards exactly what the answers said. On MariaDB the requests really overlap (a pool of
 * ten connections); on SQLite they take turns, and the same assertions hold.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { range, report, tally } from '../helpers/concurrency';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const seg = (extra: Record<string, unknown> = {}) => ({ name: { en: 'Segment' }, siteCode: 'main', ...extra });
const version = async (id: string): Promise<number> =>
  Number((await t.db.knex('segments').where({ tenant: 'acme', id }).first('version'))?.version);

test('250 concurrent PUTs creating distinct ids: 250 × 201, 250 rows', async () => {
  const ids = range(250, (i) => `create-${i}`);
  const res = await Promise.all(ids.map((id) => t.rest('PUT', `/segments/${id}`, { body: seg() })));
  report(
    '250 concurrent PUT creates, distinct ids',
    res.map((r) => r.statusCode),
  );
  expect(tally(res.map((r) => r.statusCode))).toEqual({ 201: 250 });
  const rows = await t.db.knex('segments').where('tenant', 'acme').where('id', 'like', 'create-%').select('id', 'version');
  expect(rows).toHaveLength(250);
  expect(rows.every((r) => Number(r.version) === 1)).toBe(true);
});

test('50 concurrent PUTs creating the same new id: one 201, 49 × 204, version 50', async () => {
  const res = await Promise.all(range(50, (i) => t.rest('PUT', '/segments/same-new', { body: seg({ mixins: { i } }) })));
  report(
    '50 concurrent PUT creates, same id',
    res.map((r) => r.statusCode),
  );
  expect(tally(res.map((r) => r.statusCode))).toEqual({ 201: 1, 204: 49 });
  expect(await version('same-new')).toBe(50);
});

test('60 concurrent bulk upserts over overlapping ids: only 201/204 (409 only for an id twice in one request), exact rows', async () => {
  // Request i writes ids (i + 3k) mod 30 for k = 0…9: ten distinct ids, each id in 20 requests.
  const POOL = 30;
  const bodies = range(60, (i) => range(10, (k) => seg({ id: `bulk-${(i + 3 * k) % POOL}`, mixins: { request: i } })));
  bodies[0].push(seg({ id: 'bulk-0' })); // the same id twice in one request: the contract's 409
  const res = await Promise.all(bodies.map((body) => t.rest('PUT', '/segments/bulk', { body })));
  const codes = res.filter((r) => r.statusCode === 207).flatMap((r) => (r.json() as { code: number }[]).map((e) => e.code));
  report(
    '60 concurrent bulk upserts, overlapping ids',
    res.map((r) => r.statusCode),
    { elements: tally(codes) },
  );
  expect(tally(res.map((r) => r.statusCode))).toEqual({ 207: 60 });
  // Each id is created exactly once; every other write of it is an update.
  expect(tally(codes)).toEqual({ 201: POOL, 204: 600 - POOL, 409: 1 });
  expect((res[0].json() as { code: number; id: string }[])[10]).toMatchObject({ code: 409, id: 'bulk-0' });
  const rows = await t.db.knex('segments').where('tenant', 'acme').where('id', 'like', 'bulk-%').select('version');
  expect(rows).toHaveLength(POOL);
  // No update was lost: version = number of writes.
  expect(rows.map((r) => Number(r.version))).toEqual(range(POOL, () => 20));
});

test('1,000 concurrent versioned PUTs with the same expected version: one 204, 999 × 409, version + 1', async () => {
  expect((await t.rest('PUT', '/segments/hot', { body: seg() })).statusCode).toBe(201);
  const res = await Promise.all(
    range(1000, (i) => t.rest('PUT', '/segments/hot', { body: seg({ mixins: { i }, metadata: { version: 1 } }) })),
  );
  report(
    '1,000 concurrent versioned PUTs, same version',
    res.map((r) => r.statusCode),
  );
  expect(tally(res.map((r) => r.statusCode))).toEqual({ 204: 1, 409: 999 });
  expect(res.find((r) => r.statusCode === 409)?.json()).toMatchObject({
    code: 409,
    message: 'The resource you are attempting to access has changed.',
  });
  expect(await version('hot')).toBe(2);
});

test('10 rounds of 20 concurrent versioned PUTs: exactly one winner per version', async () => {
  expect((await t.rest('PUT', '/segments/rounds', { body: seg() })).statusCode).toBe(201);
  const all: number[] = [];
  for (let v = 1; v <= 10; v++) {
    const res = await Promise.all(
      range(20, () => t.rest('PUT', '/segments/rounds', { body: seg({ metadata: { version: v } }) })),
    );
    all.push(...res.map((r) => r.statusCode));
    if (v === 10) report('10 rounds × 20 concurrent versioned PUTs', all);
    expect(tally(res.map((r) => r.statusCode))).toEqual({ 204: 1, 409: 19 });
    expect(await version('rounds')).toBe(v + 1);
  }
});

test('every segment write path at once: documented statuses only, no 5xx', async () => {
  const ids = range(20, (i) => `mixed-${i}`);
  for (const id of ids) expect((await t.rest('PUT', `/segments/${id}`, { body: seg() })).statusCode).toBe(201);
  for (const id of ids.slice(0, 10)) {
    expect((await t.rest('PUT', `/segments/${id}/customers/c1`, { body: {} })).statusCode).toBe(201);
    expect((await t.rest('PUT', `/segments/${id}/items/PRODUCT/p1`, { body: {} })).statusCode).toBe(201);
  }
  const calls: [string, Promise<{ statusCode: number }>, number[]][] = [];
  const call = (name: string, p: Promise<{ statusCode: number }>, allowed: number[]) => calls.push([name, p, allowed]);
  for (let round = 0; round < 5; round++) {
    for (const [i, id] of ids.entries()) {
      call('PUT', t.rest('PUT', `/segments/${id}`, { body: seg({ mixins: { round } }) }), [201, 204]);
      call(
        'PATCH',
        t.rest('PATCH', `/segments/${id}`, { body: [{ op: 'replace', path: '/status', value: 'INACTIVE' }] }),
        [204, 404],
      );
      call('POST', t.rest('POST', '/segments', { body: seg({ id: `mixed-post-${round}-${i}` }) }), [201]);
      call('POST existing', t.rest('POST', '/segments', { body: seg({ id }) }), [201, 409]);
      if (round === 2 && i % 4 === 0) call('DELETE', t.rest('DELETE', `/segments/${id}?forceDelete=true`), [204]);
    }
    call('POST bulk', t.rest('POST', '/segments/bulk', { body: ids.slice(0, 5).map((id) => seg({ id })) }), [207]);
    call('PUT bulk', t.rest('PUT', '/segments/bulk', { body: ids.map((id) => seg({ id })) }), [207]);
    call('DELETE bulk', t.rest('DELETE', '/segments/bulk?forceDelete=true', { body: [ids[3], ids[7]] }), [207]);
  }
  const settled = await Promise.all(calls.map(async ([name, p, allowed]) => ({ name, status: (await p).statusCode, allowed })));
  report(
    'every segment write path at once',
    settled.map((s) => s.status),
  );
  expect(settled.filter((s) => !s.allowed.includes(s.status))).toEqual([]);
  // Every POST of a new id landed.
  const posted = await t.db.knex('segments').where('tenant', 'acme').where('id', 'like', 'mixed-post-%').count({ n: '*' });
  expect(Number(posted[0].n)).toBe(100);
  // No assignment outlived its segment.
  for (const table of ['customer_assignments', 'item_assignments']) {
    const orphans = await t.db
      .knex(`${table} as a`)
      .leftJoin('segments as s', (j) => j.on('s.tenant', 'a.tenant').andOn('s.id', 'a.segment_id'))
      .whereNull('s.id')
      .count({ n: '*' });
    expect(Number(orphans[0].n)).toBe(0);
  }
});
