import type { Socket } from 'node:net';
import type { Knex } from 'knex';
import Client_MySQL2, { type KnexQueryObject } from 'knex/lib/dialects/mysql2';
import Runner from 'knex/lib/execution/runner';
import { isConnectionLost } from './errors';

export interface DbTimeouts {
  /** Per statement, client side (mysql2's query `timeout`); 0 = none. */
  statementMs: number;
  /** TCP connect + handshake; also bounds the polite close of a connection. */
  connectMs: number;
}

/** The parts of a mysql2 connection this file touches. */
interface Mysql2Connection {
  query(options: { sql: string; timeout?: number }, callback: (err: Error | null, rows?: unknown) => void): unknown;
  end(callback: (err?: Error) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeAllListeners(): unknown;
  stream: Socket;
  _fatalError?: Error | null;
  _isMariaDB?: boolean;
}

type Callback = (err: Error | null, rows?: unknown) => void;

const noop = () => undefined;

/**
 * mysql2's query `timeout` fails the statement but leaves the connection waiting for the reply
 * forever, with every later command queued behind it (and their timers not even started). Such
 * a connection is closed on the spot, with the timeout as the error, so that whatever is queued
 * on it fails now and the pool (validateConnection) never hands it out again.
 */
function closeAfterTimeout(conn: Mysql2Connection, err: Error & { code?: string }): void {
  if (err.code !== 'PROTOCOL_SEQUENCE_TIMEOUT' || conn.stream.destroyed) return;
  conn.stream.destroy(
    Object.assign(new Error(`Connection closed after a statement timed out: ${err.message}`), { code: err.code }),
  );
}

function limitedQuery(conn: Mysql2Connection, sql: string, timeout: number, callback: Callback): void {
  conn.query({ sql, timeout }, (err, rows) => {
    if (err) closeAfterTimeout(conn, err);
    callback(err, rows);
  });
}

/** SELECT or WITH … SELECT, and nothing that writes: running it twice changes nothing. */
const READ = /^\s*\(?\s*(select|with)\b/i;
const WRITES = /\b(insert|update|delete|replace)\b/i;

function isRead(builder: Runner['builder']): boolean {
  const compiled = builder.toSQL() as { sql?: unknown } | unknown[];
  if (Array.isArray(compiled)) return false;
  const sql = compiled.sql;
  return typeof sql === 'string' && READ.test(sql) && !WRITES.test(sql);
}

/**
 * A read whose connection died under it (reset, closed, killed — not a statement that was merely
 * slow, which could be slow again) runs once more on another connection. Never inside a
 * transaction (it is bound to the connection that died) nor on a connection the caller chose.
 */
class ReadRetryRunner extends Runner {
  override async run(): Promise<unknown> {
    try {
      return await super.run();
    } catch (err) {
      if (!isConnectionLost(err) || this.client.transacting || this.builder._connection || !isRead(this.builder)) throw err;
      // run() acquires a fresh connection when none is set; the dead one is invalid (mysql2 marked it fatal).
      this.connection = undefined;
      return super.run();
    }
  }
}

/**
 * Knex's mysql2 dialect with time limits on everything it waits for, and no way for a broken
 * connection to go back into service:
 *
 * - every statement knex sends (queries, BEGIN/COMMIT/ROLLBACK, migrations aside) carries
 *   mysql2's `timeout`; on MariaDB the session also gets `max_statement_time` a little below it;
 * - a connection whose statement timed out is closed at once (closeAfterTimeout);
 * - when one connection stalls or dies, every connection opened before that moment is suspect
 *   (a partition, failover or restart takes them all): the pool drops them as they come back
 *   instead of letting each request find out the slow way, so service resumes within one
 *   statement timeout of the database answering again;
 * - closing a connection never waits on the network for more than `connectMs`;
 * - a read that lost its connection is retried once (ReadRetryRunner).
 *
 * One class per knex instance: the suspicion is per pool, and knex's transaction clients are
 * made from this class's prototype, so they share it.
 */
export function resilientMysqlClient(t: DbTimeouts): typeof Knex.Client {
  let suspectBefore = 0;
  const openedAt = new WeakMap<object, number>();
  // Below the client's limit, so a merely slow statement is stopped by the server — which frees
  // the server's work and keeps the connection — before the client gives the connection up.
  const serverSeconds = Math.max(0.1, (t.statementMs * 0.9) / 1000).toFixed(3);

  class ResilientMysql2Client extends Client_MySQL2 {
    override async acquireRawConnection(): Promise<unknown> {
      const conn = (await super.acquireRawConnection()) as Mysql2Connection;
      if (t.statementMs > 0 && conn._isMariaDB) {
        try {
          await new Promise((resolve, reject) =>
            limitedQuery(conn, `SET SESSION max_statement_time = ${serverSeconds}`, t.connectMs, (err) =>
              err ? reject(err) : resolve(null),
            ),
          );
        } catch (err) {
          conn.stream.destroy();
          throw err;
        }
      }
      openedAt.set(conn, performance.now());
      return conn;
    }

    // Knex asks for the server version once, on the first connection, with no time limit: a
    // database stalling at that moment would hold every later connection attempt behind it.
    override checkVersion(connection: unknown): Promise<unknown> {
      const conn = connection as Mysql2Connection;
      const limited = Object.create(conn, {
        query: { value: (sql: string, callback: Callback) => limitedQuery(conn, sql, t.connectMs, callback) },
      });
      return super.checkVersion(limited);
    }

    override _query(connection: unknown, obj: KnexQueryObject): Promise<unknown> {
      // The one place every statement passes, transactions' included; an explicit timeout wins.
      if (t.statementMs > 0) obj.options = { timeout: t.statementMs, ...obj.options };
      return super._query(connection, obj).catch((err: Error & { code?: string }) => {
        if (err.code === 'PROTOCOL_SEQUENCE_TIMEOUT' || isConnectionLost(err)) {
          closeAfterTimeout(connection as Mysql2Connection, err);
          suspectBefore = performance.now();
        }
        throw err;
      });
    }

    override validateConnection(connection: unknown): boolean {
      return super.validateConnection(connection) && (openedAt.get(connection as object) ?? 0) > suspectBefore;
    }

    override async destroyRawConnection(connection: unknown): Promise<void> {
      const conn = connection as Mysql2Connection;
      const socket = conn.stream;
      if (!conn._fatalError && !socket.destroyed) {
        // Politely (COM_QUIT; the server closes), but a stalled network or a connection still
        // waiting for a reply never completes that: then the socket goes after connectMs.
        const timer = setTimeout(() => socket.destroy(), t.connectMs);
        socket.once('close', () => clearTimeout(timer));
        await new Promise<void>((resolve) => conn.end(() => resolve()));
      } else {
        socket.destroy();
      }
      // mysql2 may still report the socket's end; without a listener that would be an uncaught 'error'.
      conn.removeAllListeners();
      conn.on('error', noop);
    }

    override runner(builder: unknown): unknown {
      return new ReadRetryRunner(this, builder);
    }
  }

  // Knex accepts any class with the dialect's shape as `client`; its types only name the base class.
  return ResilientMysql2Client as unknown as typeof Knex.Client;
}
