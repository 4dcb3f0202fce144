import fs from 'node:fs';
import type { Database } from '../../src/db/knex';
import { type TransactionStats, transactionStats } from '../../src/db/transaction';

/** How many answers had each status: `{ 201: 249, 204: 1 }`. Sorted keys, so diffs read well. */
export function tally(statuses: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of [...statuses].sort((a, b) => a - b)) out[s] = (out[s] ?? 0) + 1;
  return out;
}

/** Rows of `table` in tenant acme (or `where.tenant`) matching `where`. */
export async function countRows(db: Database, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const row = (await db
    .knex(table)
    .where({ tenant: 'acme', ...where })
    .count({ n: '*' })
    .first()) as { n: number | string };
  return Number(row.n);
}

/** `n` items built by `make(i)`. */
export const range = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

let lastStats: TransactionStats = transactionStats();

/**
 * With CONCURRENCY_REPORT=<file>, appends one JSON line per scenario: its answers' statuses, the
 * transaction retries since the previous report of this file (db/transaction.ts counts them;
 * the scenario's setup included), and anything else worth a figure — what README "Reliability"
 * quotes. Called before the assertions, so a failing run still reports.
 */
export function report(scenario: string, statuses: readonly number[], extra: Record<string, unknown> = {}): void {
  const now = transactionStats();
  const retries = Object.fromEntries(
    Object.entries(now.retries)
      .map(([cause, n]) => [cause, n - lastStats.retries[cause as keyof TransactionStats['retries']]])
      .filter(([, n]) => n !== 0),
  );
  const gaveUp = now.gaveUp - lastStats.gaveUp;
  lastStats = now;
  const file = process.env.CONCURRENCY_REPORT;
  if (!file) return;
  const db = process.env.DB_CLIENT === 'mysql' ? 'mysql' : 'sqlite';
  const line = { scenario, db, requests: statuses.length, statuses: tally(statuses), retries, gaveUp, ...extra };
  fs.appendFileSync(file, JSON.stringify(line) + '\n');
}
