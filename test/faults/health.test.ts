import { startTestApp, type TestApp } from '../helpers/app';

/** /health answers within HEALTH_TIMEOUT_MS whatever the database does (here: no free connection). */
let t: TestApp;
beforeAll(async () => {
  // Waiting for a connection would take 5 s; the health limit is 1 s.
  t = await startTestApp({ DB_ACQUIRE_TIMEOUT_MS: '5000', HEALTH_TIMEOUT_MS: '1000' });
});
afterAll(() => t.close());

test('with every pooled connection busy, /health answers 503 within its limit, then 200 again', async () => {
  const pool = t.db.knex.client.pool as { max: number; numUsed(): number };
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const holders = Array.from({ length: pool.max }, () =>
    t.db.knex.transaction(async (trx) => {
      await trx.raw('select 1');
      await held;
    }),
  );
  while (pool.numUsed() < pool.max) await new Promise((r) => setTimeout(r, 10));

  const t0 = performance.now();
  const res = await t.app.inject({ method: 'GET', url: '/health' });
  const ms = performance.now() - t0;
  expect(res.statusCode).toBe(503);
  expect(res.json()).toEqual({ status: 'database unreachable' });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(ms).toBeLessThan(2500);

  release();
  await Promise.all(holders);
  // The probe that was waiting finishes on its own; the next answer is a 200.
  const deadline = performance.now() + 10_000;
  let again = await t.app.inject({ method: 'GET', url: '/health' });
  while (again.statusCode !== 200 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    again = await t.app.inject({ method: 'GET', url: '/health' });
  }
  expect(again.statusCode).toBe(200);
  expect(again.json()).toEqual({ status: 'ok' });
});
