import { type Database, openDatabase, selectRows } from '../../src/db/knex';
import { isConnectionLost, isDatabaseUnavailable } from '../../src/db/errors';
import { withQueryCount } from '../../src/db/query-counter';
import { createTestDatabase, DB_CLIENT, MYSQL_URL, type TestDatabase } from '../helpers/db';
import { type FaultProxy, mysqlTarget, startFaultProxy, throughProxy } from '../helpers/fault-proxy';

/**
 * The database layer's own guarantees (src/db/mysql-client.ts), on MariaDB through a
 * fault-injecting proxy: statements are time-limited, a broken connection never serves again,
 * a read that lost its connection is retried once, nothing else is.
 */
const onMysql = DB_CLIENT === 'mysql' ? describe : describe.skip;
if (DB_CLIENT !== 'mysql') test.skip('database faults need MySQL/MariaDB (DB_CLIENT=mysql)', () => undefined);

const LIMITS = { dbStatementTimeoutMs: 1000, dbAcquireTimeoutMs: 1000, dbConnectTimeoutMs: 1000 };
const SILENT = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rejection of `p`, or a failure when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

onMysql('the MySQL client under faults', () => {
  let tdb: TestDatabase;
  let proxy: FaultProxy;
  let db: Database;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // One row, so that a statement's WHERE clause runs (and sleeps) at least once.
    await tdb.db.knex('segments').insert({
      tenant: 'slow',
      id: 's1',
      name: '{}',
      status: 'ACTIVE',
      site_code: 'main',
      version: 1,
      created_at: 0,
      modified_at: 0,
    });
    proxy = await startFaultProxy(mysqlTarget(MYSQL_URL));
    db = openDatabase({ client: 'mysql', connection: throughProxy(tdb.config.connection, proxy.port) }, LIMITS, SILENT);
  });
  afterAll(async () => {
    await proxy.setMode('pass');
    await db.knex.destroy();
    await proxy.close();
    await tdb.drop();
    // mysql2 keeps the timer of a statement whose connection died until it fires (its second
    // callback is a no-op); let it, so the worker ends clean.
    await sleep(LIMITS.dbStatementTimeoutMs);
  });
  afterEach(() => proxy.setMode('pass'));

  test('a slow statement fails at the statement limit, and the pool still serves', async () => {
    const started = performance.now();
    const err = await rejection(db.knex.raw('select sleep(5)'));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isConnectionLost(err)).toBe(false);
    await expect(db.knex.raw('select 1 as one')).resolves.toBeDefined();
  });

  test('a stalled statement fails at the limit; its connection is closed, not pooled again', async () => {
    await db.knex.raw('select 1');
    await proxy.setMode('stall');
    const started = performance.now();
    const err = await rejection(db.knex.raw('select 2'));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(err.code).toBe('PROTOCOL_SEQUENCE_TIMEOUT');
    expect(isDatabaseUnavailable(err)).toBe(true);
    await proxy.setMode('pass');
    // Every connection from before the stall is a black hole now; none may be handed out.
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await db.knex.raw('select 3');
      expect(performance.now() - t0).toBeLessThan(500);
    }
  });

  test('statements inside transactions are time-limited too (BEGIN, COMMIT and all)', async () => {
    await db.knex.raw('select 1');
    await proxy.setMode('stall');
    const err = await rejection(db.knex.transaction((trx) => trx.raw('select 1')));
    expect(isDatabaseUnavailable(err)).toBe(true);
    await proxy.setMode('pass');
    await expect(db.knex.transaction((trx) => trx.raw('select 1'))).resolves.toBeDefined();
  });

  test('refused connections fail fast as "unavailable"', async () => {
    await proxy.setMode('refuse');
    // Pooled connections were reset with the listener closed: a new one is needed, and refused.
    const err = await rejection(db.knex.raw('select 1'));
    expect(isDatabaseUnavailable(err)).toBe(true);
    await proxy.setMode('pass');
    await expect(db.knex.raw('select 1')).resolves.toBeDefined();
  });

  test('a read whose connection is cut runs again on a fresh one', async () => {
    await db.knex.raw('select 1');
    const cutter = sleep(150).then(() => proxy.cut());
    const { result, count } = await withQueryCount(() => db.knex.raw('select sleep(0.4) as slept, 7 as seven'));
    await cutter;
    expect((result as [{ seven: number }[]])[0][0].seven).toBe(7);
    expect(count).toBe(2);
  });

  // selectRows skips Knex's runner on MySQL (src/db/knex.ts): the same limits and retry hold.
  test('a fixed SELECT (selectRows) whose connection is cut runs again on a fresh one, counted twice', async () => {
    await db.knex.raw('select 1');
    const seen: { sql: string; bindings?: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings?: unknown[] }) => seen.push(q);
    db.knex.on('query', listen);
    try {
      const cutter = sleep(150).then(() => proxy.cut());
      const { result, count } = await withQueryCount(() =>
        selectRows<{ seven: number }>(db, 'select sleep(0.4) as slept, ? as seven', [7]),
      );
      await cutter;
      expect(result[0].seven).toBe(7);
      expect(count).toBe(2);
      expect(seen.map((q) => q.bindings)).toEqual([[7], [7]]);
    } finally {
      db.knex.removeListener('query', listen);
    }
  });

  test('a fixed SELECT (selectRows) fails at the statement limit and is not retried; the pool still serves', async () => {
    const { result: err, count } = await withQueryCount(() => rejection(selectRows(db, 'select sleep(3) as slept', [])));
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(count).toBe(1);
    await expect(selectRows<{ one: number }>(db, 'select ? as one', [1])).resolves.toEqual([{ one: 1 }]);
  });

  test('a write whose connection is cut is not retried (it may have been applied)', async () => {
    await db.knex.raw('select 1');
    const cutter = sleep(150).then(() => proxy.cut());
    const run = withQueryCount(() =>
      rejection(db.knex.raw("update segments set version = version + 1 where tenant = 'slow' and sleep(0.4) = 0")),
    );
    await cutter;
    const { result: err, count } = await run;
    expect(isConnectionLost(err)).toBe(true);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(count).toBe(1);
  });

  test('a read inside a transaction is not retried (the transaction died with its connection)', async () => {
    await db.knex.raw('select 1');
    const cutter = sleep(150).then(() => proxy.cut());
    const { result: err, count } = await withQueryCount(() =>
      rejection(db.knex.transaction((trx) => trx.raw('select sleep(0.4)'))),
    );
    await cutter;
    expect(isDatabaseUnavailable(err)).toBe(true);
    // BEGIN and the SELECT, once each (a ROLLBACK on the dead connection may or may not be sent).
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(3);
  });
});
