import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts the SQL statements a unit of work sends (BEGIN/COMMIT included). Tests and benchmarks
 * open a scope around a request and read the count; outside a scope counting costs one lookup.
 */
interface Counter {
  count: number;
  sql: string[];
}

const store = new AsyncLocalStorage<Counter>();

export function countQuery(q: { sql?: string }): void {
  const c = store.getStore();
  if (c) {
    c.count++;
    if (q.sql) c.sql.push(q.sql);
  }
}

export function withQueryCount<T>(fn: () => Promise<T>): Promise<{ result: T; count: number; sql: string[] }> {
  const counter: Counter = { count: 0, sql: [] };
  return store.run(counter, async () => {
    const result = await fn();
    return { result, count: counter.count, sql: counter.sql };
  });
}
