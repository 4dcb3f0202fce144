import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts the SQL statements a unit of work sends (BEGIN/COMMIT included). Each HTTP request runs
 * in a scope of its own (metrics.ts reports the count); tests and benchmarks open scopes around
 * whole requests to read the statements too. Scopes nest: a statement counts in its scope and in
 * every scope around it.
 */
export interface QueryCount {
  count: number;
  /** The statements' text, kept only where asked for (tests); null in a request's scope. */
  sql: string[] | null;
  parent: QueryCount | undefined;
}

const store = new AsyncLocalStorage<QueryCount>();

export function countQuery(q: { sql?: string }): void {
  for (let c = store.getStore(); c; c = c.parent) {
    c.count++;
    if (c.sql && q.sql) c.sql.push(q.sql);
  }
}

/** Runs `fn` (and everything it starts) in a new counting scope; returns the scope to read later. */
export function countQueriesOf(fn: () => void): QueryCount {
  const counter: QueryCount = { count: 0, sql: null, parent: store.getStore() };
  store.run(counter, fn);
  return counter;
}

export function withQueryCount<T>(fn: () => Promise<T>): Promise<{ result: T; count: number; sql: string[] }> {
  const sql: string[] = [];
  const counter: QueryCount = { count: 0, sql, parent: store.getStore() };
  return store.run(counter, async () => {
    const result = await fn();
    return { result, count: counter.count, sql };
  });
}
