import fc from 'fast-check';
import { startTestApp, type TestApp } from '../helpers/app';
import { nested, nestedJson, nestedLiteral } from '../helpers/limits';

/**
 * Arbitrary variables into every GraphQL operation that takes input — control characters, huge
 * strings and nesting far past every limit included: the answer is data or coded errors
 * (BAD_USER_INPUT, NOT_FOUND, …), never INTERNAL_SERVER_ERROR, never HTTP 5xx, never a stack
 * trace or SQL text.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.rest('PUT', '/segments/seg-1', { body: { name: { en: 'One' }, siteCode: 'main', status: 'ACTIVE' } });
});
afterAll(() => t.close());

/** How the answers came out: the last test checks the fuzzing got past variable coercion. */
const outcomes: string[] = [];

const OPERATIONS: Record<string, string> = {
  createSegment: 'mutation($v: SegmentInput!) { createSegment(input: $v) { id } }',
  upsertSegment: 'mutation($id: ID!, $v: SegmentInput!) { upsertSegment(id: $id, input: $v) { created } }',
  patchSegment: 'mutation($id: ID!, $v: [PatchOperationInput!]!) { patchSegment(id: $id, operations: $v) { id } }',
  upsertSegments: 'mutation($v: [SegmentInput!]!) { upsertSegments(inputs: $v) { code } }',
  segments: 'query($q: String, $s: String, $n: Int) { segments(q: $q, sort: $s, pageSize: $n) { items { id } totalCount } }',
  upsertCategories: 'mutation($v: [CategoryInput!]!) { upsertCategories(input: $v) }',
  upsertProducts: 'mutation($v: [ProductInput!]!) { upsertProducts(input: $v) }',
  upsertCustomers: 'mutation($v: [CustomerInput!]!) { upsertCustomers(input: $v) }',
  upsertCustomerAssignments:
    'mutation($id: ID!, $v: [CustomerAssignmentBulkInput!]!) { upsertCustomerAssignments(segmentId: $id, inputs: $v) { code } }',
  upsertItemAssignment:
    'mutation($id: ID!, $i: ID!, $v: ItemAssignmentInput) { upsertItemAssignment(segmentId: $id, type: PRODUCT, itemId: $i, input: $v) { created } }',
  customerAssignments:
    'query($id: ID!, $q: String, $s: String) { customerAssignments(segmentId: $id, q: $q, sort: $s) { items { segmentId } } }',
  segmentItems: 'query($q: String, $s: String) { segmentItems(q: $q, sort: $s) { items { itemId } totalCount } }',
  matchItems: 'query($id: ID!, $v: [ID!]!) { matchItems(siteCode: "main", segmentIds: [$id], productIds: $v) { productId } }',
  categoryTrees: 'query($id: ID, $q: String) { categoryTrees(customerId: $id, siteCode: $q) { id } }',
};

/** Control and invisible characters, unpaired surrogates, far too long text. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('a\u0000b', '\u001b[31m', '\u007f', '\u0085', '\u200b', '\u202eevil', '\ufeff', '\ud800', 'x'.repeat(70_000)),
);
const text = fc.oneof({ arbitrary: fc.string(), weight: 3 }, { arbitrary: nasty, weight: 1 });
const deepish = fc.integer({ min: 1, max: 40 }).map(nested);

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  deepish,
  fc.array(
    fc.record(
      {
        id: fc.oneof(text, fc.constant(''), fc.constant('a/b')),
        name: fc.oneof(
          text,
          fc.dictionary(fc.string({ maxLength: 5 }), text),
          fc.constantFrom({ en: 'n'.repeat(501) }, { en: 'n'.repeat(1_000_000) }),
        ),
        siteCode: text,
        parentId: fc.oneof(text, fc.constant('seg-1')),
        categoryIds: fc.array(text, { maxLength: 3 }),
        customerId: text,
        legalEntityId: text,
        op: fc.constantFrom('add', 'remove', 'replace', 'bogus'),
        path: fc.constantFrom('/name', '/id', '/mixins/x', '/nope/x'),
        value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), deepish),
        mixins: fc.oneof(fc.jsonValue({ maxDepth: 2 }), deepish),
        metadata: fc.record({ mixins: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), text), deepish) }),
        email: fc.oneof(text, fc.emailAddress()),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  ),
);

// Stack traces, SQL, driver names; driver codes are upper case (ER_DUP_ENTRY).
const LEAK = /stack|\bat \w+ \(|SELECT |INSERT |UPDATE |DELETE FROM|sqlite|knex|mysql/i;
const DRIVER_CODE = /\bER_[A-Z_]+/;
const leaks = (text: string): boolean => LEAK.test(text) || DRIVER_CODE.test(text);

/**
 * The operation with its variables; `deep` replaces variable `v` by JSON text nested that many
 * levels, which JSON.stringify could not write.
 */
async function send(query: string, variables: Record<string, unknown>, deep: number | null) {
  if (deep === null) return t.gql(query, variables);
  const rest = JSON.stringify({ ...variables, v: undefined });
  const vars = `${rest.slice(0, -1)}${rest.length > 2 ? ',' : ''}"v":${nestedJson(deep)}}`;
  const res = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await t.token()}` },
    payload: `{"query":${JSON.stringify(query)},"variables":${vars}}`,
  });
  return { status: res.statusCode, ...(res.json() as Pick<Awaited<ReturnType<TestApp['gql']>>, 'data' | 'errors'>) };
}

describe.each(Object.entries(OPERATIONS))('%s', (_name, query) => {
  test('never INTERNAL_SERVER_ERROR', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            id: fc.oneof(fc.constant('seg-1'), text),
            i: text,
            v: anyValue,
            q: text,
            s: text,
            n: fc.integer(),
          },
          { requiredKeys: [] },
        ),
        fc.oneof({ arbitrary: fc.constant(null), weight: 9 }, { arbitrary: fc.integer({ min: 17, max: 100_000 }), weight: 1 }),
        async (variables, deep) => {
          const res = await send(query, variables, deep);
          const codes = (res.errors ?? []).map((e) => e.extensions?.code);
          outcomes.push(codes.length ? String(codes[0]) : 'data');
          if (res.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) {
            const sent = JSON.stringify(variables).slice(0, 300);
            throw new Error(`${res.status} ${sent} deep=${deep} → ${JSON.stringify(res.errors)}`);
          }
          const errors = JSON.stringify(res.errors ?? []);
          if (leaks(errors)) throw new Error(`leak: ${errors.slice(0, 500)}`);
        },
      ),
      { numRuns: 40 },
    );
  });
});

test('inline literals of any depth: never INTERNAL_SERVER_ERROR', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('mixins', 'patch', 'name'), async (depth, where) => {
      const literal = nestedLiteral(depth);
      const query = {
        mixins: `mutation { createSegment(input: {name: "x", siteCode: "main", mixins: ${literal}}) { id } }`,
        patch: `mutation { patchSegment(id: "seg-1", operations: [{op: "add", path: "/mixins", value: ${literal}}]) { id } }`,
        name: `mutation { createSegment(input: {name: ${literal}, siteCode: "main"}) { id } }`,
      }[where];
      const res = await t.gql(query);
      const codes = (res.errors ?? []).map((e) => e.extensions?.code);
      if (res.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR') || leaks(JSON.stringify(res.errors ?? []))) {
        throw new Error(`${where} ${depth} → ${res.status} ${JSON.stringify(res.errors)}`);
      }
    }),
    { numRuns: 40 },
  );
});

test('the fuzzing reached the resolvers: data and resolver-level errors, not only coercion failures', () => {
  const count = (o: string) => outcomes.filter((x) => x === o).length;
  if (process.env.FUZZ_DEBUG) console.log(JSON.stringify([...new Set(outcomes)].map((o) => [o, count(o)])));
  expect(count('data')).toBeGreaterThan(20);
  expect(outcomes.length).toBeGreaterThan(count('BAD_USER_INPUT'));
});
