import { startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';

/**
 * The contract's ids are strings and its lists arrays. GraphQL input coercion would accept a
 * number as an ID and a lone value as a list; the REST layer does not.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.rest('PUT', '/segments/s1', { body: { name: { en: 'S' }, siteCode: 'main' } });
});
afterAll(() => t.close());

test('a numeric id in a body is a 400 naming it, and nothing is created', async () => {
  const res = await t.rest('POST', '/segments', { body: { id: 5, name: { en: 'S' }, siteCode: 'main' } });
  expect(res.statusCode).toBe(400);
  await expectContract('POST-customer-segment-create-segment', 400, res.json());
  expect(res.json().details.field).toBe('id');
  expect((await t.rest('GET', '/segments/5')).statusCode).toBe(404);
});

test('in bulk bodies, only that element fails', async () => {
  const res = await t.rest('PUT', '/segments/s1/customers/bulk', { body: [{ customerId: 5 }, { customerId: 'c-ok' }] });
  expect(res.statusCode).toBe(207);
  await expectContract('PUT-customer-segment-update-customers-bulk', 207, res.json());
  expect(res.json().map((r: { code: number }) => r.code)).toEqual([400, 201]);
  expect(res.json()[0].message).toContain('customerId must be a string');
  expect((await t.rest('GET', '/segments/s1/customers/5')).statusCode).toBe(404);

  const del = await t.rest('DELETE', '/segments/bulk', { body: [7, 's-missing'] });
  expect(del.json().map((r: { code: number }) => r.code)).toEqual([400, 204]);
});

test('a lone value where the contract has an array is a 400 naming the field', async () => {
  const res = await t.rest('POST', '/segments/match', { body: { siteCode: 'main', segmentIds: 's1', items: [{ id: 'p' }] } });
  expect(res.statusCode).toBe(400);
  await expectContract('POST-customer-segment-check-match', 400, res.json());
  expect(res.json().details.field).toBe('segmentIds');
});

test('a number among the ids of a list is a 400 naming its element', async () => {
  const res = await t.rest('POST', '/segments/match', {
    body: { siteCode: 'main', segmentIds: ['s1', null, 5], items: [{ id: 'p' }] },
  });
  expect(res.statusCode).toBe(400);
  await expectContract('POST-customer-segment-check-match', 400, res.json());
  expect(res.json().details.field).toBe('segmentIds[2]');
});
