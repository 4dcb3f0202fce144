// Knex takes a client class as `client` (its documented way to customise a dialect), but ships
// no types for its dialect classes or its runner. These are the parts src/db/mysql-client.ts
// extends, as knex 3.x defines them (lib/dialects/mysql2/index.js, lib/execution/runner.js).

declare module 'knex/lib/dialects/mysql2' {
  import type { Knex } from 'knex';

  /** What knex passes to `_query`: the compiled statement; `options` go to mysql2's query(). */
  export interface KnexQueryObject {
    sql: string;
    bindings?: readonly unknown[];
    options?: Record<string, unknown>;
  }

  class Client_MySQL2 {
    constructor(config: Knex.Config);
    config: Knex.Config;
    /** Set on the per-transaction copy of the client. */
    transacting?: boolean;
    acquireRawConnection(): Promise<unknown>;
    destroyRawConnection(connection: unknown): Promise<void>;
    validateConnection(connection: unknown): boolean;
    checkVersion(connection: unknown): Promise<unknown>;
    runner(builder: unknown): unknown;
    /** A connection from the pool (its acquire limit and checks), and back. */
    acquireConnection(): Promise<unknown>;
    releaseConnection(connection: unknown): Promise<unknown>;
    /** Resolves with `obj`, its `response` set to mysql2's [rows, fields]. */
    _query(connection: unknown, obj: KnexQueryObject): Promise<unknown>;
  }
  export = Client_MySQL2;
}

declare module 'knex/lib/execution/runner' {
  class Runner {
    constructor(client: unknown, builder: unknown);
    client: { transacting?: boolean };
    builder: { _connection?: unknown; toSQL(): unknown };
    /** The connection in use; `run()` acquires one when it is unset. */
    connection: unknown;
    run(): Promise<unknown>;
  }
  export = Runner;
}
