import fc from 'fast-check';
import { routes } from '../../src/rest/routes';
import { startTestApp, type TestApp } from '../helpers/app';

/**
 * "Impossible to break with bad input": every route of the table, called with arbitrary path
 * parameters, query strings and JSON bodies, answers below 500 with a JSON body that names no
 * internals. Property-based (fast-check), bounded: a fixed number of runs per route.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // Something to hit: a segment with an assignment of each kind.
  await t.rest('PUT', '/segments/seg-1', { body: { name: { en: 'One' }, siteCode: 'main', status: 'ACTIVE' } });
  await t.rest('PUT', '/segments/seg-1/customers/c-1', { body: {} });
  await t.rest('PUT', '/segments/seg-1/items/PRODUCT/p-1', { body: {} });
});
afterAll(() => t.close());

/** Every status the fuzzing saw: the last test checks it reached past validation too. */
const seen: number[] = [];

const LEAK = /stack|at \w+ \(|SELECT |INSERT |UPDATE |DELETE FROM|sqlite|ER_[A-Z_]+|knex|mysql/i;

const pathValue = fc.oneof(
  fc.constantFrom('seg-1', 'c-1', 'p-1', 'PRODUCT', 'category', 'bulk', 'search', '%20', '..', 'a%2Fb', '%00', 'x'.repeat(300)),
  fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
);
const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    'true',
    'false',
    '0',
    '-1',
    '1001',
    'abc',
    'name.en:desc',
    'status:ACTIVE',
    'q:(',
    '~^',
    'mixins.a.b:>5',
    'id,name',
  ),
  fc.string({ maxLength: 30 }),
);
const query = fc
  .dictionary(
    fc.constantFrom(
      'q',
      'pageSize',
      'pageNumber',
      'sort',
      'fields',
      'forceDelete',
      'onlyActive',
      'siteCode',
      'legalEntityId',
      'customerId',
    ),
    queryValue,
    { maxKeys: 4 },
  )
  .map((d) => new URLSearchParams(d).toString());
const element = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      customerId: fc.oneof(fc.string(), fc.integer()),
      legalEntityId: fc.oneof(fc.string(), fc.constant('')),
      name: fc.oneof(fc.string(), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }))),
      siteCode: fc.oneof(fc.string(), fc.integer()),
      status: fc.oneof(fc.constantFrom('ACTIVE', 'INACTIVE', 'active'), fc.string()),
      validity: fc.record(
        {
          from: fc.oneof(
            fc.string(),
            fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
          ),
          to: fc.string(),
        },
        { requiredKeys: [] },
      ),
      mixins: fc.jsonValue({ maxDepth: 2 }),
      metadata: fc.record(
        { version: fc.oneof(fc.integer(), fc.string()), mixins: fc.jsonValue({ maxDepth: 1 }) },
        { requiredKeys: [] },
      ),
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
      path: fc.constantFrom('/name', '/status', '/id', '/metadata/version', '/mixins/a', '/nope/deeper', '', '/'),
      value: fc.jsonValue({ maxDepth: 2 }),
      items: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
      segmentIds: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.string()),
      q: fc.oneof(fc.string(), fc.integer()),
    },
    { requiredKeys: [] },
  ),
);
const body = fc.oneof(fc.constant(undefined), element, fc.array(element, { maxLength: 4 }));

describe.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
  test('never a 5xx, never internals', async () => {
    const params = (route.path.match(/:\w+/g) ?? []).length;
    await fc.assert(
      fc.asyncProperty(fc.array(pathValue, { minLength: params, maxLength: params }), query, body, async (values, qs, b) => {
        let i = 0;
        const path = route.path.replace(/:\w+/g, () => values[i++]);
        const res = await t.rest(route.method, `${path}${qs ? `?${qs}` : ''}`, { body: b });
        seen.push(res.statusCode);
        if (res.statusCode >= 500)
          throw new Error(`${route.method} ${path}?${qs} ${JSON.stringify(b)} → ${res.statusCode} ${res.body}`);
        if (res.body && LEAK.test(res.body) && res.statusCode >= 400) throw new Error(`leak: ${res.body}`);
      }),
      { numRuns: 40 },
    );
  });
});

test('the fuzzing reached successful writes and reads, not only rejections', () => {
  const ok = seen.filter((s) => s < 300).length;
  const rejected = seen.filter((s) => s >= 400).length;
  expect(ok).toBeGreaterThan(50);
  expect(rejected).toBeGreaterThan(ok);
});
