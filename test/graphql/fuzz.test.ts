import fc from 'fast-check';
import { startTestApp, type TestApp } from '../helpers/app';

/**
 * Arbitrary variables into every GraphQL operation that takes input: the answer is data or
 * coded errors (BAD_USER_INPUT, NOT_FOUND, …), never INTERNAL_SERVER_ERROR, never HTTP 5xx.
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

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(
    fc.record(
      {
        id: fc.oneof(fc.string(), fc.constant(''), fc.constant('a/b')),
        name: fc.oneof(fc.string(), fc.dictionary(fc.string({ maxLength: 5 }), fc.string())),
        siteCode: fc.string(),
        parentId: fc.oneof(fc.string(), fc.constant('seg-1')),
        categoryIds: fc.array(fc.string(), { maxLength: 3 }),
        customerId: fc.string(),
        op: fc.constantFrom('add', 'remove', 'replace', 'bogus'),
        path: fc.constantFrom('/name', '/id', '/mixins/x', '/nope/x'),
        value: fc.jsonValue({ maxDepth: 1 }),
        email: fc.oneof(fc.string(), fc.emailAddress()),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  ),
);

describe.each(Object.entries(OPERATIONS))('%s', (_name, query) => {
  test('never INTERNAL_SERVER_ERROR', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            id: fc.oneof(fc.constant('seg-1'), fc.string()),
            i: fc.string(),
            v: anyValue,
            q: fc.string(),
            s: fc.string(),
            n: fc.integer(),
          },
          { requiredKeys: [] },
        ),
        async (variables) => {
          const res = await t.gql(query, variables);
          const codes = (res.errors ?? []).map((e) => e.extensions?.code);
          outcomes.push(codes.length ? String(codes[0]) : 'data');
          if (res.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) {
            throw new Error(`${res.status} ${JSON.stringify(variables)} → ${JSON.stringify(res.errors)}`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

test('the fuzzing reached the resolvers: data and resolver-level errors, not only coercion failures', () => {
  const count = (o: string) => outcomes.filter((x) => x === o).length;
  if (process.env.FUZZ_DEBUG) console.log(JSON.stringify([...new Set(outcomes)].map((o) => [o, count(o)])));
  expect(count('data')).toBeGreaterThan(20);
  expect(outcomes.length).toBeGreaterThan(count('BAD_USER_INPUT'));
});
