/**
 * Issue 9: probes after Kubernetes' conventions. /health/live answers while the process does
 * (draining and database outages included); /health/ready and /health answer 503 while draining
 * or while the database does not answer.
 */
import { startTestApp, type TestApp } from '../helpers/app';

const get = async (t: TestApp, url: string) => {
  const res = await t.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as { status: string } };
};

test('serving: all three 200', async () => {
  const t = await startTestApp();
  try {
    expect(await get(t, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(t, '/health/ready')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(t, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
  } finally {
    await t.close();
  }
});

test('draining: not ready (503), still live (200)', async () => {
  const t = await startTestApp();
  try {
    t.lifecycle.startDraining();
    expect(await get(t, '/health/ready')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await get(t, '/health')).toEqual({ status: 503, body: { status: 'draining' } });
    expect(await get(t, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
  } finally {
    await t.close();
  }
});

test('database gone: not ready (503), still live (200)', async () => {
  const t = await startTestApp();
  try {
    await t.db.knex.destroy();
    expect(await get(t, '/health/ready')).toEqual({ status: 503, body: { status: 'database unreachable' } });
    expect(await get(t, '/health')).toEqual({ status: 503, body: { status: 'database unreachable' } });
    expect(await get(t, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
  } finally {
    await t.close(); // destroying twice is harmless; this also drops the test database
  }
});

test('probes need no token and are never rate-limited', async () => {
  const t = await startTestApp({ RATE_LIMIT: 'true', RATE_LIMIT_ANONYMOUS_MAX: '1' });
  try {
    for (let i = 0; i < 3; i++) {
      expect((await get(t, '/health/live')).status).toBe(200);
      expect((await get(t, '/health/ready')).status).toBe(200);
    }
  } finally {
    await t.close();
  }
});
