/** Driver errors we turn into expected outcomes; everything else stays an internal error. */
export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: string; errno?: number } | null;
  if (!err) return false;
  // mysql2: ER_DUP_ENTRY (1062); better-sqlite3: SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE.
  return (
    err.code === 'ER_DUP_ENTRY' ||
    err.errno === 1062 ||
    err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    err.code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** Why a failed transaction may succeed when run again; undefined when it would fail the same way. */
export type TransientCause = 'deadlock' | 'lockWaitTimeout' | 'busy';

export function transientCause(e: unknown): TransientCause | undefined {
  const err = e as { code?: unknown; errno?: unknown } | null;
  if (!err) return undefined;
  // InnoDB chose this transaction as a deadlock victim and rolled it back: ER_LOCK_DEADLOCK.
  if (err.code === 'ER_LOCK_DEADLOCK' || err.errno === 1213) return 'deadlock';
  // innodb_lock_wait_timeout passed: ER_LOCK_WAIT_TIMEOUT (only the statement is rolled back).
  if (err.code === 'ER_LOCK_WAIT_TIMEOUT' || err.errno === 1205) return 'lockWaitTimeout';
  // Another process holds the SQLite write lock past busy_timeout, or committed since this
  // transaction's snapshot (SQLITE_BUSY_SNAPSHOT, which does not wait at all).
  if (typeof err.code === 'string' && err.code.startsWith('SQLITE_BUSY')) return 'busy';
  return undefined;
}

interface DriverError {
  code?: string;
  errno?: number;
  fatal?: boolean;
  name?: string;
}

/** The connection a statement ran on died under it: nothing about the statement itself. */
const CONNECTION_LOST = new Set([
  'PROTOCOL_CONNECTION_LOST', // mysql2: the server closed the socket
  'ECONNRESET',
  'EPIPE',
  'ER_CLIENT_INTERACTION_TIMEOUT', // MySQL 4031: the server dropped an idle session
]);
// MariaDB's own numbers, which mysql2 has no code names for (MySQL does not use them).
const ER_CONNECTION_KILLED = 1927; // KILL CONNECTION, or the server ending the session
const ER_STATEMENT_TIMEOUT = 1969; // max_statement_time, the server-side statement limit

/** The database cannot be reached or did not answer in time (beyond a lost connection). */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT', // mysql2's connectTimeout, or the OS giving up on the TCP connect
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_SEQUENCE_TIMEOUT', // mysql2's per-query `timeout` (DB_STATEMENT_TIMEOUT_MS)
  'ER_CON_COUNT_ERROR', // 1040: too many connections
  'ER_SERVER_SHUTDOWN', // 1053
  'ER_QUERY_TIMEOUT', // MySQL 3024: max_execution_time
  'SQLITE_BUSY', // another process held the file past busy_timeout
]);

/**
 * The connection is gone (reset, closed, killed): a read can safely run again on another one.
 * mysql2 marks every error that ends a connection `fatal`, including "Can't add new command when
 * connection is in closed state", which has no code.
 */
export function isConnectionLost(e: unknown): boolean {
  const err = e as DriverError | null;
  if (!err || typeof err !== 'object') return false;
  if ((err.code && CONNECTION_LOST.has(err.code)) || err.errno === ER_CONNECTION_KILLED) return true;
  return err.fatal === true && !(err.code && UNAVAILABLE.has(err.code));
}

/**
 * The one classification of "the database is unavailable": refused, unreachable, too slow, out
 * of connections, or the connection died. Each face answers it as a retryable 503 /
 * SERVICE_UNAVAILABLE, never as a 500 with the driver's text.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  const err = e as DriverError | null;
  if (!err || typeof err !== 'object') return false;
  // Knex: no pooled connection within DB_ACQUIRE_TIMEOUT_MS (tarn's TimeoutError, converted).
  if (err.name === 'KnexTimeoutError') return true;
  if ((err.code && UNAVAILABLE.has(err.code)) || err.errno === ER_STATEMENT_TIMEOUT) return true;
  return isConnectionLost(err);
}

/** Seconds a client is told to wait (Retry-After) after a database-unavailable answer. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

export const MSG_UNAVAILABLE = 'The service is temporarily unavailable; try again later.';
