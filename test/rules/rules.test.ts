/**
 * Issue 11: segments that maintain themselves. Rules in the q-language over the reference
 * store; rule members are AUTOMATIC assignments; manual includes and exclusions; re-evaluation
 * on rule change, on reference-data change and by the clock. Both faces, both databases.
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
let now = Date.parse('2026-06-01T12:00:00Z');

beforeAll(async () => {
  t = await startTestApp({}, { clock: () => now });
});
afterAll(() => t.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

async function gql(query: string, variables?: Record<string, unknown>): Promise<Json> {
  const res = await t.gql(query, variables);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as Json;
}

async function gqlError(query: string, variables?: Record<string, unknown>): Promise<{ message: string; extensions?: Json }> {
  const res = await t.gql(query, variables);
  expect(res.errors?.length).toBeGreaterThan(0);
  return res.errors?.[0] as { message: string; extensions?: Json };
}

const UPSERT_CUSTOMERS = `mutation($c: [CustomerInput!]!) { upsertCustomers(input: $c) }`;
const UPSERT_LE = `mutation($l: [LegalEntityInput!]!) { upsertLegalEntities(input: $l) }`;
const UPSERT_PRODUCTS = `mutation($p: [ProductInput!]!) { upsertProducts(input: $p) }`;
const UPSERT_CATEGORIES = `mutation($c: [CategoryInput!]!) { upsertCategories(input: $c) }`;

async function members(segmentId: string): Promise<string[]> {
  const d = await gql(
    `query($s: ID!) { customerAssignments(segmentId: $s, pageSize: 1000, sort: "customer.id") { items { assignmentType customer { id } legalEntity { id } } } }`,
    { s: segmentId },
  );
  return (d.customerAssignments.items as Json[]).map(
    (a) => `${a.customer.id}${a.legalEntity ? '@' + a.legalEntity.id : ''}:${a.assignmentType === 'AUTOMATIC' ? 'A' : 'M'}`,
  );
}

async function items(segmentId: string): Promise<string[]> {
  const d = await gql(
    `query($s: ID!) { itemAssignments(segmentId: $s, pageSize: 1000, sort: "item.id") { items { itemId type assignmentType } } }`,
    { s: segmentId },
  );
  return (d.itemAssignments.items as Json[]).map((a) => `${a.itemId}:${a.assignmentType === 'AUTOMATIC' ? 'A' : 'M'}`);
}

async function segmentWithRules(id: string, customerRule: string | null, itemRule: string | null = null): Promise<Json> {
  const d = await gql(
    `mutation($id: ID!, $in: SegmentInput!) { upsertSegment(id: $id, input: $in) { segment { id customerRule itemRule ruleStatus { lastEvaluatedAt automaticCount automaticCustomerCount automaticItemCount durationMs error } } } }`,
    { id, in: { name: { en: id }, siteCode: 'main', status: 'ACTIVE', customerRule, itemRule } },
  );
  return d.upsertSegment.segment;
}

beforeAll(async () => {
  await gql(UPSERT_LE, {
    l: [
      { id: 'le-acme', name: 'ACME', mixins: { country: 'US', size: 'large' } },
      { id: 'le-beta', name: 'Beta', mixins: { country: 'DE' } },
    ],
  });
  await gql(UPSERT_CUSTOMERS, {
    c: [
      {
        id: 'c-ann',
        email: 'ann@example.com',
        mixins: { country: 'US', tier: 'GOLD', totalSpent: 450, lastOrderAt: '2026-05-20T00:00:00Z' },
      },
      {
        id: 'c-bob',
        email: 'bob@example.com',
        mixins: { country: 'US', tier: 'SILVER', totalSpent: 120, lastOrderAt: '2025-09-01T00:00:00Z' },
      },
      {
        id: 'c-cay',
        email: 'cay@example.de',
        mixins: { country: 'DE', tier: 'GOLD', totalSpent: 900 },
        legalEntityIds: ['le-acme', 'le-beta'],
      },
      { id: 'c-dan', firstName: 'Dan', mixins: { tags: ['vip'] } },
    ],
  });
  await gql(UPSERT_CATEGORIES, {
    c: [
      { id: 'cat-tools', code: 'tools' },
      { id: 'cat-hammers', code: 'hammers', parentId: 'cat-tools' },
      { id: 'cat-garden', code: 'garden' },
    ],
  });
  await gql(UPSERT_PRODUCTS, {
    p: [
      { id: 'p-1', code: 'HAM-1', mixins: { brand: 'ACME', price: 30 }, categoryIds: ['cat-hammers'] },
      { id: 'p-2', code: 'HOSE', mixins: { brand: 'Flow', price: 12 }, categoryIds: ['cat-garden'] },
      { id: 'p-3', code: 'SAW', mixins: { brand: 'ACME', price: 55 }, categoryIds: ['cat-tools'] },
      { id: 'p-4', code: 'LOOSE', mixins: { brand: 'ACME' } },
    ],
  });
});

describe('customer rules', () => {
  test('a rule change inserts what matches as AUTOMATIC and records the run', async () => {
    const s = await segmentWithRules('seg-us', 'customer.mixins.country:US customer.mixins.totalSpent:>=300');
    expect(s.customerRule).toBe('customer.mixins.country:US customer.mixins.totalSpent:>=300');
    expect(s.ruleStatus).toMatchObject({ automaticCount: 1, automaticCustomerCount: 1, error: null });
    expect(s.ruleStatus.lastEvaluatedAt).toBe(new Date(now).toISOString());
    expect(await members('seg-us')).toEqual(['c-ann:A']);
  });

  test('a rule change that drops members deletes their automatic rows only', async () => {
    await gql(`mutation { upsertCustomerAssignment(segmentId: "seg-us", customerId: "c-dan") { created } }`);
    await segmentWithRules('seg-us', 'customer.mixins.country:US');
    expect(await members('seg-us')).toEqual(['c-ann:A', 'c-bob:A', 'c-dan:M']);
    await segmentWithRules('seg-us', 'customer.mixins.tier:GOLD customer.mixins.country:US');
    expect(await members('seg-us')).toEqual(['c-ann:A', 'c-dan:M']);
  });

  test('OR, NOT and groups', async () => {
    await segmentWithRules('seg-or', '(customer.mixins.country:DE) OR (customer.mixins.tier:SILVER)');
    expect(await members('seg-or')).toEqual(['c-bob:A', 'c-cay:A']);
    await segmentWithRules('seg-or', 'NOT customer.mixins.country:US');
    expect(await members('seg-or')).toEqual(['c-cay:A', 'c-dan:A']);
  });

  test('a rule that names legalEntity.* yields B2B members', async () => {
    await segmentWithRules('seg-b2b', 'legalEntity.mixins.country:US customer.mixins.tier:GOLD');
    expect(await members('seg-b2b')).toEqual(['c-cay@le-acme:A']);
    await segmentWithRules('seg-b2b', 'legalEntity.name:~^be');
    expect(await members('seg-b2b')).toEqual(['c-cay@le-beta:A']);
  });

  test('reference-data changes add and remove members (only the changed customers are looked at)', async () => {
    await gql(UPSERT_CUSTOMERS, { c: [{ id: 'c-eve', mixins: { country: 'US', tier: 'GOLD' } }] });
    expect(await members('seg-us')).toEqual(['c-ann:A', 'c-dan:M', 'c-eve:A']);
    await gql(UPSERT_CUSTOMERS, { c: [{ id: 'c-ann', mixins: { country: 'FR', tier: 'GOLD' } }] });
    expect(await members('seg-us')).toEqual(['c-dan:M', 'c-eve:A']);
    await gql(`mutation { deleteCustomers(ids: ["c-eve"]) }`);
    expect(await members('seg-us')).toEqual(['c-dan:M']);
    // A legal entity's change reaches B2B rules through its links.
    await gql(UPSERT_LE, { l: [{ id: 'le-beta', name: 'Acme Beta', mixins: { country: 'US' } }] });
    await segmentWithRules('seg-b2b', 'legalEntity.mixins.country:US customer.mixins.tier:GOLD');
    expect(await members('seg-b2b')).toEqual(['c-cay@le-acme:A', 'c-cay@le-beta:A']);
    await gql(UPSERT_LE, { l: [{ id: 'le-beta', name: 'Beta', mixins: { country: 'DE' } }] });
    expect(await members('seg-b2b')).toEqual(['c-cay@le-acme:A']);
  });

  test('relative instants: the clock crossing the boundary changes membership on the next evaluation', async () => {
    await gql(UPSERT_CUSTOMERS, {
      c: [{ id: 'c-ann', mixins: { country: 'US', tier: 'GOLD', lastOrderAt: '2026-05-20T00:00:00Z' } }],
    });
    await segmentWithRules('seg-recent', 'customer.mixins.lastOrderAt:>=now-30d');
    expect(await members('seg-recent')).toEqual(['c-ann:A']);
    now = Date.parse('2026-06-25T00:00:00Z'); // 2026-05-20 + 30 d < now
    await t.services.rules.evaluateSegment('acme', 'seg-recent');
    expect(await members('seg-recent')).toEqual([]);
    now = Date.parse('2026-06-01T12:00:00Z');
  });

  test('bad rules are a 400 naming the parameter and the position; nothing is stored', async () => {
    const e = await gqlError(
      `mutation { upsertSegment(id: "seg-bad", input: { name: "x", siteCode: "main", customerRule: "customer.email ann" }) { created } }`,
    );
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerRule' });
    expect(e.message).toMatch(/^customerRule: .*position \d+/);
    const unknown = await gqlError(
      `mutation { upsertSegment(id: "seg-bad", input: { name: "x", siteCode: "main", itemRule: "customer.id:x" }) { created } }`,
    );
    expect(unknown).toMatchObject({ extensions: { field: 'itemRule' } });
    expect(unknown.message).toMatch(/unknown field "customer.id"/);
    expect((await gql(`{ segment(id: "seg-bad") { id } }`)).segment).toBeNull();
  });
});

describe('manual overrides', () => {
  test('DELETE of an automatic member records an exclusion the rule does not undo', async () => {
    await segmentWithRules('seg-ex', 'customer.mixins.country:US');
    expect(await members('seg-ex')).toEqual(['c-ann:A', 'c-bob:A']);
    await gql(`mutation { deleteCustomerAssignment(segmentId: "seg-ex", customerId: "c-bob") }`);
    await t.services.rules.evaluateSegment('acme', 'seg-ex');
    expect(await members('seg-ex')).toEqual(['c-ann:A']);
    const ex = await gql(
      `{ segmentExclusions(segmentId: "seg-ex") { customers { customerId legalEntityId customer { email } } items { itemId } } }`,
    );
    expect(ex.segmentExclusions).toEqual({
      customers: [{ customerId: 'c-bob', legalEntityId: null, customer: { email: 'bob@example.com' } }],
      items: [],
    });
  });

  test('removing the exclusion lets the rule take the member back', async () => {
    await gql(`mutation { deleteCustomerExclusion(segmentId: "seg-ex", customerId: "c-bob") }`);
    expect(await members('seg-ex')).toEqual(['c-ann:A', 'c-bob:A']);
  });

  test('a PUT of an excluded member lifts the exclusion and makes it MANUAL', async () => {
    await gql(`mutation { deleteCustomerAssignment(segmentId: "seg-ex", customerId: "c-bob") }`);
    await gql(`mutation { upsertCustomerAssignment(segmentId: "seg-ex", customerId: "c-bob") { created } }`);
    expect(await members('seg-ex')).toEqual(['c-ann:A', 'c-bob:M']);
    const ex = await gql(`{ segmentExclusions(segmentId: "seg-ex") { customers { customerId } } }`);
    expect(ex.segmentExclusions.customers).toEqual([]);
  });

  test('a DELETE of a manual member that the rule matches leaves it excluded', async () => {
    await gql(`mutation { deleteCustomerAssignment(segmentId: "seg-ex", customerId: "c-bob") }`);
    await t.services.rules.evaluateSegment('acme', 'seg-ex');
    expect(await members('seg-ex')).toEqual(['c-ann:A']);
  });

  test('a PUT of an automatic member makes it MANUAL; a rule change then keeps it', async () => {
    await gql(`mutation { upsertCustomerAssignment(segmentId: "seg-ex", customerId: "c-ann") { created } }`);
    await segmentWithRules('seg-ex', 'customer.mixins.country:DE');
    expect(await members('seg-ex')).toEqual(['c-ann:M', 'c-cay:A']);
  });
});

describe('item rules', () => {
  test('product fields and category fields (through ancestors, as match does)', async () => {
    await segmentWithRules('seg-items', null, 'product.mixins.brand:ACME category.code:tools');
    expect(await items('seg-items')).toEqual(['p-1:A', 'p-3:A']);
    await segmentWithRules('seg-items', null, 'product.mixins.price:<20');
    expect(await items('seg-items')).toEqual(['p-2:A']);
  });

  test('a category move re-evaluates category rules; a product change re-evaluates that product', async () => {
    await segmentWithRules('seg-cat', null, 'category.id:cat-tools');
    expect(await items('seg-cat')).toEqual(['p-1:A', 'p-3:A']);
    await gql(UPSERT_CATEGORIES, { c: [{ id: 'cat-hammers', code: 'hammers', parentId: 'cat-garden' }] });
    expect(await items('seg-cat')).toEqual(['p-3:A']);
    await gql(UPSERT_PRODUCTS, { p: [{ id: 'p-4', code: 'LOOSE', mixins: { brand: 'ACME' }, categoryIds: ['cat-tools'] }] });
    expect(await items('seg-cat')).toEqual(['p-3:A', 'p-4:A']);
  });

  test('item exclusions: DELETE keeps an item out, PUT brings it back as MANUAL', async () => {
    await gql(`mutation { deleteItemAssignment(segmentId: "seg-cat", type: PRODUCT, itemId: "p-4") }`);
    await t.services.rules.evaluateSegment('acme', 'seg-cat');
    expect(await items('seg-cat')).toEqual(['p-3:A']);
    const ex = await gql(`{ segmentExclusions(segmentId: "seg-cat") { items { type itemId } } }`);
    expect(ex.segmentExclusions.items).toEqual([{ type: 'PRODUCT', itemId: 'p-4' }]);
    await gql(`mutation { deleteItemExclusion(segmentId: "seg-cat", type: PRODUCT, itemId: "p-4") }`);
    expect(await items('seg-cat')).toEqual(['p-3:A', 'p-4:A']);
  });
});

describe('preview and visibility', () => {
  test('previewSegmentRule counts and samples without saving', async () => {
    const d = await gql(
      `{ previewSegmentRule(customerRule: "customer.mixins.tier:GOLD", itemRule: "product.mixins.brand:ACME", sampleSize: 2) {
          count customers { count sample { customerId customer { id } } } items { count sample { itemId product { code } } } } }`,
    );
    expect(d.previewSegmentRule.customers.count).toBe(2);
    expect(d.previewSegmentRule.customers.sample.map((m: Json) => m.customerId)).toEqual(['c-ann', 'c-cay']);
    expect(d.previewSegmentRule.items).toEqual({
      count: 3,
      sample: [
        { itemId: 'p-1', product: { code: 'HAM-1' } },
        { itemId: 'p-3', product: { code: 'SAW' } },
      ],
    });
    expect(d.previewSegmentRule.count).toBe(5);
    const bad = await gqlError(`{ previewSegmentRule(customerRule: "customer.mixins.tier:(GOLD") { count } }`);
    expect(bad.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerRule' });
  });

  test('a customer token sees rule members like any member, but not the rule', async () => {
    const own = await t.token({ scopes: [SCOPE.readOwn], customerId: 'c-cay' });
    const res = await t.gql(`{ segments { items { id customerRule ruleStatus { automaticCount } } } }`, undefined, {
      token: own,
    });
    const mine = (res.data as Json).segments.items as Json[];
    expect(mine.map((s) => s.id).sort()).toEqual(expect.arrayContaining(['seg-b2b', 'seg-ex', 'seg-or']));
    expect(mine.every((s) => s.customerRule === null && s.ruleStatus === null)).toBe(true);
  });

  test('rules and evaluation stay within their tenant', async () => {
    const other = await t.token({ tenant: 'globex' });
    await t.gql(
      `mutation { upsertSegment(id: "seg-g", input: { name: "g", siteCode: "main", customerRule: "customer.mixins.country:US" }) { created } }`,
      undefined,
      { token: other },
    );
    const res = await t.gql(`{ customerAssignments(segmentId: "seg-g") { totalCount } }`, undefined, { token: other });
    expect((res.data as Json).customerAssignments.totalCount).toBe(0);
    const preview = await t.gql(`{ previewSegmentRule(customerRule: "customer.id:c-ann") { count } }`, undefined, {
      token: other,
    });
    expect((preview.data as Json).previewSegmentRule.count).toBe(0);
  });
});

describe('REST', () => {
  test('rules are extra fields of the segment body: PUT stores and evaluates, GET returns them', async () => {
    const put = await t.rest('PUT', '/segments/seg-rest', {
      body: { name: { en: 'Gold US' }, siteCode: 'main', status: 'ACTIVE', customerRule: 'customer.mixins.tier:GOLD' },
    });
    expect(put.statusCode).toBe(201);
    const got = await t.rest('GET', '/segments/seg-rest');
    expect(got.json()).toMatchObject({ id: 'seg-rest', customerRule: 'customer.mixins.tier:GOLD' });
    expect(got.json()).not.toHaveProperty('itemRule');
    const list = await t.rest('GET', '/segments/seg-rest/customers?sort=customer.id');
    expect(list.json().map((a: Json) => [a.customer.id, a.assignmentType])).toEqual([
      ['c-ann', 'AUTOMATIC'],
      ['c-cay', 'AUTOMATIC'],
    ]);
    // A segment without rules answers exactly as the contract's (no extra fields).
    await t.rest('PUT', '/segments/seg-plain', { body: { name: 'Plain', siteCode: 'main' } });
    expect(Object.keys((await t.rest('GET', '/segments/seg-plain')).json()).sort()).toEqual(
      ['id', 'metadata', 'name', 'siteCode', 'status'].sort(),
    );
  });

  test('PATCH can change a rule; a bad rule is a 400 naming the field, nothing written', async () => {
    const patch = await t.rest('PATCH', '/segments/seg-rest', {
      body: [{ op: 'replace', path: '/customerRule', value: 'customer.mixins.tier:SILVER' }],
    });
    expect(patch.statusCode).toBe(204);
    expect((await t.rest('GET', '/segments/seg-rest/customers')).json().map((a: Json) => a.customer.id)).toEqual(['c-bob']);
    const bad = await t.rest('PUT', '/segments/seg-rest', {
      body: { name: 'x', siteCode: 'main', customerRule: 'customer.mixins.tier:(GOLD' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 400, details: { field: 'customerRule' } });
    expect((await t.rest('GET', '/segments/seg-rest')).json().customerRule).toBe('customer.mixins.tier:SILVER');
  });

  test('exclusions: DELETE of a member records one; GET lists; DELETE removes (the rule takes the member back)', async () => {
    expect((await t.rest('DELETE', '/segments/seg-rest/customers/c-bob')).statusCode).toBe(204);
    await t.services.rules.evaluateSegment('acme', 'seg-rest');
    const ex = await t.rest('GET', '/segments/seg-rest/exclusions');
    expect(ex.statusCode).toBe(200);
    expect(ex.json()).toEqual({ customers: [{ customerId: 'c-bob', createdAt: expect.any(String) }], items: [] });
    expect((await t.rest('GET', '/segments/seg-rest/customers')).json()).toEqual([]);
    expect((await t.rest('DELETE', '/segments/seg-rest/exclusions/customers/c-bob')).statusCode).toBe(204);
    expect((await t.rest('GET', '/segments/seg-rest/customers')).json().map((a: Json) => a.customer.id)).toEqual(['c-bob']);
    expect((await t.rest('DELETE', '/segments/seg-rest/exclusions/items/product/p-1')).statusCode).toBe(204);
    expect((await t.rest('DELETE', '/segments/seg-rest/exclusions/items/thing/p-1')).statusCode).toBe(400);
    expect((await t.rest('GET', '/segments/nope/exclusions')).statusCode).toBe(404);
    const reader = await t.token({ scopes: [SCOPE.read] });
    expect((await t.rest('DELETE', '/segments/seg-rest/exclusions/customers/c-bob', { token: reader })).statusCode).toBe(403);
  });
});

describe('the schedule', () => {
  test('rules that read the clock are evaluated again by the scheduler as time passes', async () => {
    await gql(UPSERT_CUSTOMERS, { c: [{ id: 'c-fay', mixins: { lastOrderAt: '2026-05-25T00:00:00Z' } }] });
    await segmentWithRules('seg-sched', 'customer.mixins.lastOrderAt:>=now-10d');
    expect(await members('seg-sched')).toEqual(['c-fay:A']);
    now = Date.parse('2026-06-10T00:00:00Z'); // 2026-05-25 is now 16 days ago
    expect(await t.ruleScheduler.tick()).toBeGreaterThanOrEqual(1);
    expect(await members('seg-sched')).toEqual([]);
    now = Date.parse('2026-06-01T12:00:00Z');
    await t.ruleScheduler.tick();
    expect(await members('seg-sched')).toEqual(['c-fay:A']);
  });

  test('a segment whose lease another instance holds is left to it', async () => {
    now = Date.parse('2026-06-10T00:00:00Z');
    await t.db
      .knex('segments')
      .where({ tenant: 'acme', id: 'seg-sched' })
      .update({ rule_lease_until: now + 60_000 });
    await t.ruleScheduler.tick();
    expect(await members('seg-sched')).toEqual(['c-fay:A']);
    await t.db.knex('segments').where({ tenant: 'acme', id: 'seg-sched' }).update({ rule_lease_until: null });
    await t.ruleScheduler.tick();
    expect(await members('seg-sched')).toEqual([]);
    now = Date.parse('2026-06-01T12:00:00Z');
  });
});
