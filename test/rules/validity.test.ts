/**
 * Issue 11, time-bound membership: assignments carry an optional validity { from, to } — on
 * REST as an extension field of the assignment body, on GraphQL as a field and an input —
 * stored, returned, searchable with q, `from` after `to` a 400. Admin listings show every
 * assignment with its validity.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.rest('PUT', '/segments/seg-v', { body: { name: 'V', siteCode: 'main', status: 'ACTIVE' } });
});
afterAll(() => t.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

const JUNE = { from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' };

test('REST: a customer assignment with validity is stored and returned (extension field, contract still holds)', async () => {
  const put = await t.rest('PUT', '/segments/seg-v/customers/c-june', { body: { validity: JUNE } });
  expect(put.statusCode).toBe(201);
  const got = await t.rest('GET', '/segments/seg-v/customers/c-june');
  expect(got.json()).toMatchObject({ customer: { id: 'c-june' }, validity: JUNE });
  await expectContract('GET-customer-segment-retrieve-customer-by-customerId', 200, got.json());
  await t.rest('PUT', '/segments/seg-v/customers/c-always');
  expect((await t.rest('GET', '/segments/seg-v/customers/c-always')).json()).not.toHaveProperty('validity');
});

test('REST: an item assignment with an open-ended validity', async () => {
  const put = await t.rest('PUT', '/segments/seg-v/items/PRODUCT/p-1', { body: { validity: { from: JUNE.from } } });
  expect(put.statusCode).toBe(201);
  expect((await t.rest('GET', '/segments/seg-v/items/PRODUCT/p-1')).json().validity).toEqual({ from: JUNE.from });
});

test('from after to is a 400 naming the field, nothing written; single and bulk', async () => {
  const bad = await t.rest('PUT', '/segments/seg-v/customers/c-bad', { body: { validity: { from: JUNE.to, to: JUNE.from } } });
  expect(bad.statusCode).toBe(400);
  expect(bad.json()).toMatchObject({ details: { field: 'validity.from' } });
  expect((await t.rest('GET', '/segments/seg-v/customers/c-bad')).statusCode).toBe(404);
  const bulk = await t.rest('PUT', '/segments/seg-v/customers/bulk', {
    body: [
      { customerId: 'c-b1', validity: JUNE },
      { customerId: 'c-b2', validity: { from: JUNE.to, to: JUNE.from } },
    ],
  });
  expect(bulk.json().map((r: Json) => r.code)).toEqual([201, 400]);
  const badDate = await t.rest('PUT', '/segments/seg-v/items/PRODUCT/p-2', { body: { validity: { to: 'soon' } } });
  expect(badDate.statusCode).toBe(400);
  expect(badDate.json().details.field).toBe('validity.to');
});

test('q searches validity; GraphQL has the field and the input', async () => {
  const ending = await t.rest('GET', `/segments/seg-v/customers?q=${encodeURIComponent('validity.to:<"2026-12-31T00:00:00Z"')}`);
  expect(ending.json().map((a: Json) => a.customer.id)).toEqual(['c-june', 'c-b1']);
  const open = await t.rest('GET', '/segments/seg-v/customers?q=validity.to:missing&sort=customer.id');
  expect(open.json().map((a: Json) => a.customer.id)).toEqual(['c-always']);
  const res = await t.gql(
    `mutation { upsertItemAssignment(segmentId: "seg-v", type: CATEGORY, itemId: "cat-1", input: { validity: { to: "2027-01-01T00:00:00Z" } }) { assignment { validity { from to } } } }`,
  );
  expect(res.data).toEqual({
    upsertItemAssignment: { assignment: { validity: { from: null, to: '2027-01-01T00:00:00.000Z' } } },
  });
});
