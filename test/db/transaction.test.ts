/**
 * withTransaction (src/db/transaction.ts): what it retries, how often, what it answers when it
 * gives up, and the isolation it runs at. A real InnoDB deadlock on MariaDB; simulated driver
 * errors on both databases (the helper sees only their codes).
 */
import { ConflictError, MSG_CHANGED } from '../../src/errors';
import { limits, setLimits } from '../../src/limits';
import { transactionStats, withTransaction } from '../../src/db/transaction';
import { createTestDatabase, DB_CLIENT, type TestDatabase } from '../helpers/db';

let tdb: TestDatabase;
const defaults = limits();
beforeAll(async () => {
  tdb = await createTestDatabase();
  setLimits({ ...defaults, dbTxMaxAttempts: 3, dbTxRetryBaseMs: 1, dbTxRetryMaxMs: 5 });
});
afterAll(async () => {
  setLimits(defaults);
  await tdb.drop();
});

/** An error as the driver reports it. */
const driverError = (fields: Record<string, unknown>): Error => Object.assign(new Error('driver error'), fields);

/** Runs `fn` once per attempt, failing with `errors` in turn, then returning 'done'. */
async function attempts(
  errors: Error[],
  options?: Parameters<typeof withTransaction>[2],
): Promise<{ result: unknown; calls: number }> {
  let calls = 0;
  const result = await withTransaction(
    tdb.db,
    async (trx) => {
      await trx.raw('select 1');
      const e = errors[calls++];
      if (e) throw e;
      return 'done';
    },
    options,
  ).catch((e: unknown) => e);
  return { result, calls };
}

test.each([
  ['a deadlock (1213)', { errno: 1213, code: 'ER_LOCK_DEADLOCK' }],
  ['a lock-wait timeout (1205)', { errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' }],
  ['a busy SQLite file', { code: 'SQLITE_BUSY' }],
  ['a stale SQLite snapshot', { code: 'SQLITE_BUSY_SNAPSHOT' }],
])('%s: the whole transaction runs again', async (_name, fields) => {
  expect(await attempts([driverError(fields), driverError(fields)])).toEqual({ result: 'done', calls: 3 });
});

test('gives up after DB_TX_MAX_ATTEMPTS with the contract’s 409, never a 500', async () => {
  const before = transactionStats();
  const deadlock = driverError({ errno: 1213 });
  const { result, calls } = await attempts([deadlock, deadlock, deadlock, deadlock]);
  expect(calls).toBe(3);
  expect(result).toBeInstanceOf(ConflictError);
  expect(result).toMatchObject({ message: MSG_CHANGED, kind: 'CONFLICT' });
  expect(transactionStats().gaveUp).toBe(before.gaveUp + 1);
  expect(transactionStats().retries.deadlock).toBe(before.retries.deadlock + 2);
});

test('a duplicate key is retried only where it means a lost creation race', async () => {
  const dup = driverError({ errno: 1062, code: 'ER_DUP_ENTRY' });
  expect(await attempts([dup])).toEqual({ result: dup, calls: 1 });
  expect(await attempts([dup], { retryDuplicateKey: true })).toEqual({ result: 'done', calls: 2 });
});

test('any other error is thrown at once, and the transaction is rolled back', async () => {
  const other = new Error('boom');
  let calls = 0;
  const result = await withTransaction(tdb.db, async (trx) => {
    calls++;
    await trx('legal_entities').insert({ tenant: 'acme', id: 'rolled-back' });
    throw other;
  }).catch((e: unknown) => e);
  expect([result, calls]).toEqual([other, 1]);
  expect(await tdb.db.knex('legal_entities').where({ id: 'rolled-back' })).toEqual([]);
});

const onMysql = DB_CLIENT === 'mysql' ? test : test.skip;

onMysql('runs at READ COMMITTED on MariaDB/MySQL', async () => {
  const level = await withTransaction(tdb.db, async (trx) => {
    await trx('segments').select('id').limit(1); // InnoDB starts the transaction at its first read
    const [rows] = await trx.raw(
      'SELECT trx_isolation_level AS level FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = CONNECTION_ID()',
    );
    return (rows as { level: string }[])[0]?.level;
  });
  expect(level).toBe('READ COMMITTED');
});

onMysql('a real InnoDB deadlock: the victim runs again and both transactions commit', async () => {
  const row = (id: string) => ({
    tenant: 'acme',
    id,
    name: '{}',
    status: 'ACTIVE',
    site_code: 'main',
    version: 0,
    created_at: 0,
    modified_at: 0,
  });
  await tdb.db.knex('segments').insert([row('a'), row('b')]);
  const before = transactionStats().retries.deadlock;
  // Each holds one row and then wants the other's: the first attempts wait for each other.
  let arrived = 0;
  let release!: () => void;
  const bothHoldOne = new Promise<void>((resolve) => (release = resolve));
  const cross = (first: string, second: string) => {
    let attempt = 0;
    return withTransaction(tdb.db, async (trx) => {
      attempt++;
      const bump = (id: string) => trx('segments').where({ tenant: 'acme', id }).increment('version', 1);
      await bump(first);
      if (attempt === 1) {
        if (++arrived === 2) release();
        await bothHoldOne;
      }
      await bump(second);
      return attempt;
    });
  };
  const tries = await Promise.all([cross('a', 'b'), cross('b', 'a')]);
  expect(tries.sort()).toEqual([1, 2]);
  expect(transactionStats().retries.deadlock).toBe(before + 1);
  // Both committed in full: each row bumped twice.
  const rows = await tdb.db.knex('segments').where('tenant', 'acme').whereIn('id', ['a', 'b']).orderBy('id');
  expect(rows.map((r) => Number(r.version))).toEqual([2, 2]);
});
