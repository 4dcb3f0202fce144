import { startTestApp, type TestApp } from './helpers/app';
import { expectContract } from './helpers/contract';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test('create then read a segment over REST', async () => {
  const created = await t.rest('POST', '/segments', { body: { name: { en: 'Gold' }, siteCode: 'main', status: 'ACTIVE' } });
  expect(created.statusCode).toBe(201);
  await expectContract('POST-customer-segment-create-segment', 201, created.json());
  const got = await t.rest('GET', `/segments/${created.json().id}`);
  expect(got.statusCode).toBe(200);
  await expectContract('GET-customer-segment-retrieve-segment', 200, got.json());
  expect(got.json().name).toEqual({ en: 'Gold' });
});

test('contract validation rejects a wrong body', async () => {
  await expect(expectContract('GET-customer-segment-retrieve-segment', 200, { id: 5 })).rejects.toThrow(/contract/);
});
