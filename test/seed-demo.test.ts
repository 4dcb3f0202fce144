import { DEMO_TENANT, seedDemo } from '../src/demo/seed-demo';
import { SCOPE, startTestApp, type TestApp } from './helpers/app';

/** The demo tenant `npm start` loads: written through the public mutations, once. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test('loads once into an empty tenant, and the printed tokens get real answers', async () => {
  expect(await seedDemo(t.services)).toBe(true);
  expect(await seedDemo(t.services)).toBe(false); // not twice
  const admin = await t.token({ tenant: DEMO_TENANT });
  const segments = await t.rest('GET', '/segments', { tenant: DEMO_TENANT, token: admin });
  expect(
    segments
      .json()
      .map((s: { id: string }) => s.id)
      .sort(),
  ).toEqual(['seg-garden', 'seg-gold', 'seg-pro', 'seg-vip']);

  // The rule segment: gold-tier customers and premium tools, kept by its rules.
  const vip = await t.rest('GET', '/segments/seg-vip/customers?sort=customer.id', { tenant: DEMO_TENANT, token: admin });
  expect(vip.json().map((a: { customer: { id: string }; assignmentType: string }) => [a.customer.id, a.assignmentType])).toEqual([
    ['c-alice', 'AUTOMATIC'],
    ['c-carol', 'AUTOMATIC'],
  ]);
  const vipItems = await t.rest('GET', '/segments/seg-vip/items?sort=item.id', { tenant: DEMO_TENANT, token: admin });
  expect(vipItems.json().map((a: { item: { id: string } }) => a.item.id)).toEqual(['p-claw-hammer', 'p-drill-18v']);

  const alice = await t.token({ tenant: DEMO_TENANT, scopes: [SCOPE.readOwn], customerId: 'c-alice' });
  const tree = await t.rest('GET', '/segments/items/category-trees', { tenant: DEMO_TENANT, token: alice });
  expect(tree.statusCode).toBe(200);
  expect(tree.json()[0]).toMatchObject({ id: 'cat-tools', isSegmentAssigned: false });
  expect(tree.json()[0].subcategories[0]).toMatchObject({ id: 'cat-hammers', isSegmentAssigned: true });

  const carol = await t.rest('GET', '/segments/seg-gold/customers/c-carol/le-acme', { tenant: DEMO_TENANT, token: admin });
  expect(carol.json().legalEntity).toEqual({ id: 'le-acme', name: 'ACME Construction GmbH' });

  const match = await t.rest('POST', '/segments/match', {
    tenant: DEMO_TENANT,
    token: admin,
    body: {
      siteCode: 'main',
      segmentIds: ['seg-gold', 'seg-pro', 'seg-garden'],
      items: [{ id: 'p-hose-20m' }, { id: 'p-sledge-5kg' }, { id: 'p-drill-18v' }],
    },
  });
  // seg-garden is inactive: the hose does not match.
  expect(match.json()).toEqual([{ id: 'p-sledge-5kg' }, { id: 'p-drill-18v' }]);
});
