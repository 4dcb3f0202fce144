import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { startTestApp, type TestApp } from './helpers/app';

/** Start-up settings, /health, unknown routes: what the README promises about running it. */
describe('configuration', () => {
  test('production refuses to start without auth; development uses a local secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 's3cret-s3cret-s3cret-s3cret' }).auth.devSecret).toBe(false);
    expect(loadConfig({}).auth.devSecret).toBe(true);
  });

  test('defaults and switches', () => {
    const c = loadConfig({});
    expect([c.host, c.port, c.db.client, c.defaultLanguage, c.seedDemo]).toEqual(['127.0.0.1', 4000, 'sqlite', 'en', true]);
    expect(c.db.connection.endsWith(path.join('data', 'segments.sqlite'))).toBe(true);
    expect(loadConfig({ SQLITE_FILE: '/tmp/x.sqlite' }).db.connection).toBe('/tmp/x.sqlite');
    expect(loadConfig({ DATABASE_URL: 'mysql://u@h:3306/db' }).db).toEqual({
      client: 'mysql',
      connection: 'mysql://u@h:3306/db',
    });
    expect(loadConfig({ SEED_DEMO: 'false' }).seedDemo).toBe(false);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x' })).toThrow(/mysql/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ SEED_DEMO: 'maybe' })).toThrow(/SEED_DEMO/);
  });
});

describe('HTTP surface', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  test('GET /health is 200 while the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  test('an unknown path under /customer-segment is a 404 Error body', async () => {
    const res = await t.rest('GET', '/nothing/here');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 404, status: 'Not Found' });
  });
});

test('GET /health is 503 once the database is gone', async () => {
  const t = await startTestApp();
  await t.db.knex.destroy();
  const res = await t.app.inject({ method: 'GET', url: '/health' });
  expect(res.statusCode).toBe(503);
  await t.close(); // destroying twice is harmless; this also drops the test database
});

test('npm run migrate migrates the configured SQLite file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-migrate-'));
  const file = path.join(dir, 'm.sqlite');
  const root = path.resolve(__dirname, '..');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  const out = execFileSync('node', ['dist/src/db/migrate-cli.js'], {
    cwd: root,
    env: { ...process.env, SQLITE_FILE: file, DATABASE_URL: '' },
  });
  expect(String(out)).toMatch(/up to date/);
  expect(fs.existsSync(file)).toBe(true);
  fs.rmSync(dir, { recursive: true, force: true });
}, 120000);
