import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { type Database, migrateLatest, openDatabase } from '../src/db/knex';
import { withTransaction } from '../src/db/transaction';
import { loadLimits } from '../src/limits';
import { RuleEvaluator } from '../src/modules/rules/rule.evaluator';

/**
 * Segment-rule evaluation at size, on MariaDB/MySQL (issue 11's targets):
 *  1. a customer rule over N customers (default 1,000,000), evaluated from scratch — target ≤ 10 s;
 *  2. one changed customer re-evaluated against 100 rule segments — target ≤ 20 ms (median).
 *
 *   npm run build && node dist/bench/rules.js [--customers 1000000] [--segments 100] [--rounds 25]
 *
 * A throwaway database on MYSQL_URL (default mysql://root@127.0.0.1:3306), dropped afterwards.
 */
const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    segments: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '25' },
  },
});
const CUSTOMERS = Number(values.customers);
const SEGMENTS = Number(values.segments);
const ROUNDS = Number(values.rounds);
const TENANT = 'bench';
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'NL', 'PL', 'IT', 'ES'];
const TIERS = ['GOLD', 'SILVER', 'BRONZE', 'NONE'];

async function fill(db: Database): Promise<void> {
  const t0 = performance.now();
  const batch = 2000;
  const day = 86_400_000;
  const base = Date.now();
  for (let i = 0; i < CUSTOMERS; i += batch) {
    const rows = [];
    for (let j = i; j < Math.min(CUSTOMERS, i + batch); j++) {
      rows.push({
        tenant: TENANT,
        id: `c-${String(j).padStart(8, '0')}`,
        email: `c${j}@example.com`,
        mixins: JSON.stringify({
          country: COUNTRIES[j % COUNTRIES.length],
          tier: TIERS[(j * 7) % TIERS.length],
          totalSpent: (j * 37) % 2000,
          lastOrderAt: new Date(base - ((j * 13) % 400) * day).toISOString(),
        }),
      });
    }
    await db.knex('customers').insert(rows);
    if ((i / batch) % 50 === 0) process.stderr.write(`  customers ${i + rows.length}\n`);
  }
  console.log(`filled ${CUSTOMERS} customers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function segment(id: string, rule: string) {
  const now = Date.now();
  return {
    tenant: TENANT,
    id,
    name: JSON.stringify({ en: id }),
    status: 'ACTIVE',
    site_code: 'main',
    version: 1,
    created_at: now,
    modified_at: now,
    customer_rule: rule,
    rule_uses_now: rule.includes('now'),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
  const name = `csg_bench_rules_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const db = openDatabase({ client: 'mysql', connection: `${base}/${name}` }, loadLimits({}));
  try {
    await migrateLatest(db);
    await fill(db);
    const rules = new RuleEvaluator(db, { statementTimeoutMs: 600_000 });

    // 1. One rule over every customer, from scratch.
    const rule = 'customer.mixins.country:US customer.mixins.lastOrderAt:>=now-180d customer.mixins.totalSpent:>=300';
    await db.knex('segments').insert(segment('seg-big', rule));
    let t0 = performance.now();
    const first = await rules.evaluateSegment(TENANT, 'seg-big');
    const full = performance.now() - t0;
    t0 = performance.now();
    const again = await rules.evaluateSegment(TENANT, 'seg-big');
    const repeat = performance.now() - t0;
    console.log(
      `customer rule over ${CUSTOMERS} customers: ${(full / 1000).toFixed(2)} s (${first.customers.added} members added); ` +
        `again with nothing to change: ${(repeat / 1000).toFixed(2)} s (${again.customers.added} added, ${again.customers.removed} removed)`,
    );

    // 2. One changed customer against SEGMENTS rule segments.
    const many = Array.from({ length: SEGMENTS }, (_, i) =>
      segment(
        `seg-r${i}`,
        `customer.mixins.country:${COUNTRIES[i % COUNTRIES.length]} customer.mixins.totalSpent:>=${(i * 17) % 1500}` +
          (i % 3 === 0 ? ' customer.mixins.lastOrderAt:>=now-90d' : ''),
      ),
    );
    await db.knex('segments').insert(many);
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const id = `c-${String((r * 7919) % CUSTOMERS).padStart(8, '0')}`;
      await db
        .knex('customers')
        .where({ tenant: TENANT, id })
        .update({ mixins: JSON.stringify({ country: COUNTRIES[r % COUNTRIES.length], totalSpent: (r * 97) % 2000 }) });
      const t = performance.now();
      await withTransaction(db, (trx) => rules.applyReferenceChanges(trx, TENANT, { customerIds: [id] }));
      times.push(performance.now() - t);
    }
    console.log(
      `one changed customer against ${SEGMENTS + 1} rule segments: median ${median(times).toFixed(1)} ms, ` +
        `max ${Math.max(...times).toFixed(1)} ms over ${ROUNDS} rounds`,
    );
  } finally {
    await db.knex.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
