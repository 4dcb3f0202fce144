import fc from 'fast-check';
import { routes } from '../../src/rest/routes';
import { startTestApp, type TestApp } from '../helpers/app';
import { nested, nestedJson } from '../helpers/limits';

/**
 * "Impossible to break with bad input": every route of the table, called with arbitrary path
 * parameters, query strings and JSON bodies — control characters, huge strings and nesting far
 * past every limit included — answers below 500 with a JSON body that names no internals.
 * Property-based (fast-check), bounded: a fixed number of runs per route.
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

// Driver codes are upper case (ER_DUP_ENTRY): an id such as "er_A" echoed in a 404 is not one.
const LEAK = /stack|\bat \w+ \(|SELECT |INSERT |UPDATE |DELETE FROM|sqlite|knex|mysql/i;
const DRIVER_CODE = /\bER_[A-Z_]+/;

/** encodeURIComponent refuses unpaired surrogates; send their UTF-8-looking bytes instead. */
const encode = (text: string): string => {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
};

/** Control and invisible characters, unpaired surrogates, far too long text. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('a\u0000b', '\u001b[31m', '\u007f', '\u0085', '\u200b', '\u202eevil', '\ufeff', '\ud800', 'x'.repeat(70_000)),
);

const pathValue = fc.oneof(
  fc.constantFrom('seg-1', 'c-1', 'p-1', 'PRODUCT', 'category', 'bulk', 'search', '%20', '..', 'a%2Fb', '%00', 'x'.repeat(300)),
  fc.constantFrom('%00abc', 'a%1Bb', '%7F', '%C2%85', '%E2%80%8B', '%E2%80%AEx', '%EF%BB%BF', '%ED%A0%80'),
  fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map(encode),
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
      id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), nasty),
      customerId: fc.oneof(fc.string(), fc.integer(), nasty),
      legalEntityId: fc.oneof(fc.string(), fc.constant(''), nasty),
      name: fc.oneof(
        fc.string(),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })),
        nasty,
        fc.constantFrom({ en: 'n'.repeat(501) }, { en: 'n'.repeat(1_000_000) }),
      ),
      siteCode: fc.oneof(fc.string(), fc.integer(), nasty),
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
      mixins: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: 1, max: 40 }).map(nested)),
      metadata: fc.record(
        { version: fc.oneof(fc.integer(), fc.string()), mixins: fc.jsonValue({ maxDepth: 1 }) },
        { requiredKeys: [] },
      ),
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
      path: fc.constantFrom('/name', '/status', '/id', '/metadata/version', '/mixins/a', '/nope/deeper', '', '/'),
      value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: 1, max: 40 }).map(nested), nasty),
      items: fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ id: nasty })), { maxLength: 3 }),
      segmentIds: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.string()),
      q: fc.oneof(fc.string(), fc.integer()),
    },
    { requiredKeys: [] },
  ),
);
/** JSON text nested far deeper than JSON.stringify could write, in the shapes the routes take. */
const deepBody = fc.tuple(fc.integer({ min: 17, max: 100_000 }), fc.integer({ min: 0, max: 3 })).map(([depth, shape]) => {
  const deep = nestedJson(depth);
  return [
    `{"name":"x","siteCode":"main","mixins":${deep}}`,
    `[{"id":"d","customerId":"c","mixins":${deep}}]`,
    `[{"op":"add","path":"/mixins","value":${deep}}]`,
    deep,
  ][shape];
});
const body = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: element, weight: 3 },
  { arbitrary: fc.array(element, { maxLength: 4 }), weight: 3 },
  { arbitrary: deepBody, weight: 1 },
);

describe.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
  test('never a 5xx, never internals', async () => {
    const params = (route.path.match(/:\w+/g) ?? []).length;
    await fc.assert(
      fc.asyncProperty(fc.array(pathValue, { minLength: params, maxLength: params }), query, body, async (values, qs, b) => {
        let i = 0;
        const path = route.path.replace(/:\w+/g, () => values[i++]);
        const res = await t.rest(route.method, `${path}${qs ? `?${qs}` : ''}`, { body: b });
        seen.push(res.statusCode);
        if (res.statusCode >= 500) {
          const sent = (typeof b === 'string' ? b : (JSON.stringify(b) ?? '')).slice(0, 300);
          throw new Error(`${route.method} ${path}?${qs} ${sent} → ${res.statusCode} ${res.body}`);
        }
        if (res.body && (LEAK.test(res.body) || DRIVER_CODE.test(res.body)) && res.statusCode >= 400)
          throw new Error(`leak: ${res.body}`);
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
