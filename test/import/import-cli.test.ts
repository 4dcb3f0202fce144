import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/import/import-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let tdb: TestDatabase;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  tdb = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-cli-'));
  env = {
    NODE_ENV: 'test',
    ...(tdb.config.client === 'mysql' ? { DATABASE_URL: tdb.config.connection } : { SQLITE_FILE: tdb.config.connection }),
  };
  const now = Date.now();
  await tdb.db.knex('segments').insert({
    tenant: 'acme',
    id: 'cli-seg',
    name: JSON.stringify({ en: 'CLI' }),
    status: 'ACTIVE',
    site_code: 'main',
    version: 1,
    created_at: now,
    modified_at: now,
  });
});
afterAll(async () => {
  await tdb.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], e: Record<string, string> = env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, e, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const file = (name: string, lines: string[]): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
};

test('imports, reports rejected lines as FILE:LINE and exits 0 with a summary', async () => {
  const a = file('a.ndjson', [
    '{"kind":"customer","id":"cli-c1","email":"c1@example.com"}',
    '{"kind":"customerAssignment","segmentId":"cli-seg","customerId":"cli-c1"}',
    '{"kind":"customer","id":"cli-c2","email":"broken"}',
  ]);
  const b = file('b.ndjson', ['{"kind":"customerAssignment","segmentId":"gone","customerId":"cli-c1"}', 'not json']);
  const res = await run(['--tenant', 'acme', '--quiet', a, b]);
  expect(res.code).toBe(0);
  expect(res.stderr).toContain(`${a}:3: email must be an email address`);
  expect(res.stderr).toContain(`${b}:1: segmentId: no segment gone in tenant acme`);
  expect(res.stderr).toContain(`${b}:2: the line is not valid JSON`);
  expect(res.stdout).toMatch(/5 lines read, 2 written, 3 rejected/);
  expect(res.stdout).toMatch(/customer 1, customerAssignment 1/);
  expect(await tdb.db.knex('customer_assignments').where({ tenant: 'acme', customer_id: 'cli-c1' })).toHaveLength(1);
});

test('progress lines go to stderr', async () => {
  const a = file('p.ndjson', ['{"kind":"legalEntity","id":"cli-le"}']);
  const res = await run(['--tenant', 'acme', a]);
  expect(res.code).toBe(0);
  expect(res.stderr).toMatch(/^import: 1 lines read, 1 written, 0 rejected, [\d,]+ lines\/s$/m);
});

test('usage errors exit 2', async () => {
  const a = file('u.ndjson', ['{"kind":"legalEntity","id":"x"}']);
  for (const argv of [
    [a],
    ['--tenant', 'acme'],
    ['--tenant', 'A!', a],
    ['--tenant', 'acme', path.join(dir, 'missing.ndjson')],
    ['--tenant', 'acme', '--batch-size', '0', a],
    ['--tenant', 'acme', '--language', 'not a tag', a],
    ['--tenant', 'acme', '--bogus', a],
  ]) {
    const res = await run(argv);
    expect({ argv, code: res.code }).toEqual({ argv, code: 2 });
    expect(res.stderr).toMatch(/^error: .*\n\nUsage:/);
  }
  expect((await run(['--help'])).code).toBe(0);
});

test('an unreachable database is fatal: exit 1', async () => {
  const a = file('f.ndjson', ['{"kind":"legalEntity","id":"x"}']);
  // Knex's pool logs its failed connection attempt on the console as well.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const res = await run(['--tenant', 'acme', '--quiet', a], {
    NODE_ENV: 'test',
    DATABASE_URL: 'mysql://root@127.0.0.1:1/nowhere',
  });
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/^error: import stopped: .*ECONNREFUSED/m);
});
