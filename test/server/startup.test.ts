/**
 * Issue 9, "start fast and explain failures": the compiled entry points, run as users run them,
 * answer the usual start-up failures with one line saying what is wrong and how to fix it, and a
 * non-zero exit — no stack trace. Also: the banner names the database; a rebuild check that finds
 * nothing to do is quick; `npm run -s token` prints the token alone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { describeDatabase, explainStartupError } from '../../src/startup-errors';
import { ensureBuilt, ROOT } from '../helpers/built';

jest.setTimeout(120_000);
let dataDir: string;
beforeAll(() => {
  ensureBuilt();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-startup-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const MYSQL = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');

function run(script: string, env: Record<string, string>, args: string[] = []) {
  const res = spawnSync(process.execPath, [path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATA_DIR: dataDir, SEED_DEMO: 'false', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const oneLine = (text: string) => text.trim().split('\n').filter(Boolean);

test('a MySQL database that does not exist: one line naming it and how to create it, exit 1 (server and migrate)', () => {
  const env = { DATABASE_URL: `${MYSQL}/csg_no_such_database` };
  for (const [script, verb] of [
    ['dist/src/server.js', 'Cannot start'],
    ['dist/src/db/migrate-cli.js', 'Cannot migrate'],
  ]) {
    const { code, stderr } = run(script, env);
    expect(code).toBe(1);
    const lines = oneLine(stderr).filter((l) => l.startsWith(verb));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"csg_no_such_database" does not exist');
    expect(lines[0]).toContain('CREATE DATABASE');
    // Nothing but that line: no knex warning with a stack trace before it.
    expect(oneLine(stderr)).toEqual(lines);
  }
});

test('a port in use: one line, exit 1', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const { code, stderr } = run('dist/src/server.js', { PORT: String(port), SQLITE_FILE: path.join(dataDir, 'p.sqlite') });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toEqual([
      `Cannot start: Port ${port} on 127.0.0.1 is already in use: stop the other process or set PORT to a free port.`,
    ]);
  } finally {
    blocker.close();
  }
});

test('npm run -s token prints the token and nothing else', () => {
  const res = spawnSync('npm', ['run', '-s', 'token', '--', '--tenant', 'demo', '--customer', 'c-1'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, AUTH_JWT_SECRET: 'a-secret-long-enough-for-hs256-0123456789' },
    encoding: 'utf8',
  });
  expect(res.status).toBe(0);
  const lines = oneLine(res.stdout);
  expect(lines).toHaveLength(1);
  expect(decodeJwt(lines[0])).toMatchObject({ tenant: 'demo', sub: 'c-1' });
});

test('a build check with nothing to do returns at once', () => {
  const started = Date.now();
  ensureBuilt();
  // Not a benchmark: a real rebuild takes ten seconds or more; a skipped one well under two.
  expect(Date.now() - started).toBeLessThan(2000);
});

describe('explainStartupError / describeDatabase', () => {
  const mysql = {
    db: { client: 'mysql' as const, connection: 'mysql://app:secret@db.internal:3307/segments' },
    host: '0.0.0.0',
    port: 4000,
  };
  test('names host and database, never the password', () => {
    expect(describeDatabase(mysql.db)).toBe('MySQL app@db.internal:3307/segments');
    expect(describeDatabase({ client: 'sqlite', connection: '/data/s.sqlite' })).toBe('SQLite /data/s.sqlite');
  });
  test('explains the usual failures and leaves the rest alone', () => {
    expect(explainStartupError({ code: 'ECONNREFUSED' }, mysql)).toMatch(
      /^Cannot reach MySQL app@db.internal:3307\/segments \(connection refused\)/,
    );
    expect(explainStartupError({ code: 'ER_ACCESS_DENIED_ERROR' }, mysql)).toMatch(/^Access denied/);
    expect(explainStartupError({ code: 'EADDRINUSE' }, mysql)).toContain('Port 4000 on 0.0.0.0 is already in use');
    expect(explainStartupError(new Error('boom'), mysql)).toBeUndefined();
    expect(JSON.stringify(explainStartupError({ code: 'ER_BAD_DB_ERROR' }, mysql))).not.toContain('secret');
  });
});
