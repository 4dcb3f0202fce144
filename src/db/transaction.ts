import type { Knex } from 'knex';
// The one error class this layer throws: a transaction that kept losing to concurrent writers
// is the contract's conflicting write (graphql/errors.ts imports nothing back).
import { ConflictError, MSG_CHANGED } from '../errors';
import { limits } from '../limits';
import { isDuplicateKey, type TransientCause, transientCause } from './errors';
import type { Database } from './knex';

export interface TransactionOptions {
  /**
   * A duplicate key means a lost race, not a client error: the transaction found a row missing
   * and another one created it first (two PUTs creating the same new id). Running again finds
   * the row and takes the update path. Off by default, where a duplicate is the client's (a
   * POST of an id that exists).
   */
  retryDuplicateKey?: boolean;
}

type RetryCause = TransientCause | 'duplicateKey';

/** Retries since the process started, by cause, and transactions that ran out of attempts. */
export interface TransactionStats {
  retries: Record<RetryCause, number>;
  gaveUp: number;
}

const stats: TransactionStats = { retries: { deadlock: 0, lockWaitTimeout: 0, busy: 0, duplicateKey: 0 }, gaveUp: 0 };

/** A copy of the counters (tests and the README's figures read them). */
export function transactionStats(): TransactionStats {
  return { retries: { ...stats.retries }, gaveUp: stats.gaveUp };
}

/**
 * Runs `fn` in a transaction and owns what concurrency needs from it, for every write path:
 *
 * - **Isolation**: READ COMMITTED on MySQL/MariaDB. InnoDB's default REPEATABLE READ makes a
 *   locking read of a missing row take a gap lock, and two transactions inserting into the same
 *   gap then deadlock; READ COMMITTED locks only rows that exist. SQLite has one writer at a time
 *   and no levels to choose.
 * - **Retries of the whole transaction**, `fn` included, on a deadlock (1213), a lock-wait timeout
 *   (1205), a busy SQLite file, and — with `retryDuplicateKey` — a lost creation race; with full
 *   jitter (a random wait up to base × 2^retry, capped) so the losers do not collide again in
 *   step. `fn` must therefore have no effects outside the transaction: return what the caller
 *   needs and act on it after commit.
 * - **A bound**: `DB_TX_MAX_ATTEMPTS` attempts (limits.ts). A transaction that still fails for
 *   one of those causes answers 409 with the contract's message for a conflicting write — the
 *   client's signal to read again and retry — never a 500.
 */
export async function withTransaction<T>(
  db: Database,
  fn: (trx: Knex.Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const config: Knex.TransactionConfig = db.dialect === 'mysql' ? { isolationLevel: 'read committed' } : {};
  const { dbTxMaxAttempts, dbTxRetryBaseMs, dbTxRetryMaxMs } = limits();
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.knex.transaction(fn, config);
    } catch (e) {
      const cause: RetryCause | undefined =
        transientCause(e) ?? (options.retryDuplicateKey && isDuplicateKey(e) ? 'duplicateKey' : undefined);
      if (cause === undefined) throw e;
      if (attempt >= dbTxMaxAttempts) {
        stats.gaveUp++;
        throw new ConflictError(MSG_CHANGED);
      }
      stats.retries[cause]++;
      await sleep(Math.random() * Math.min(dbTxRetryMaxMs, dbTxRetryBaseMs * 2 ** (attempt - 1)));
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
