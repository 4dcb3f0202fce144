import type { Database } from '../../db/knex';
import type { RuleEvaluator } from './rule.evaluator';

/** Segments looked at per tick: a backlog is worked off over several ticks, never all at once. */
const BATCH = 100;

export interface SchedulerOptions {
  intervalMs: number;
  /** How long a taken lease keeps other instances away (a crashed evaluator's lease runs out). */
  leaseMs: number;
  log?: (message: string, err?: unknown) => void;
}

export interface RuleScheduler {
  /** One pass: evaluates what is due. Resolves with how many segments it evaluated. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Rules whose matches change with time alone (`now-180d`), and evaluations that failed or never
 * ran, are evaluated again on a schedule. Several instances may run on one database: each
 * segment is evaluated by whoever takes its lease — a guarded UPDATE that only one of them wins
 * — so one evaluator at a time per segment, and a crashed one's lease simply runs out.
 */
export function startRuleScheduler(db: Database, rules: RuleEvaluator, opts: SchedulerOptions): RuleScheduler {
  let running: Promise<number> | undefined;
  let stopped = false;

  const due = async (): Promise<{ tenant: string; id: string }[]> =>
    db
      .knex('segments')
      .select('tenant', 'id')
      .where((w) =>
        w
          .where('rule_uses_now', true)
          .orWhereNotNull('rule_error')
          .orWhere((x) =>
            x.whereNull('rule_evaluated_at').where((y) => y.whereNotNull('customer_rule').orWhereNotNull('item_rule')),
          ),
      )
      .where((w) => w.whereNull('rule_lease_until').orWhere('rule_lease_until', '<', rules.clock()))
      .orderBy([{ column: 'rule_evaluated_at', order: 'asc' }, 'tenant', 'id'])
      .limit(BATCH);

  const lease = async (tenant: string, id: string): Promise<boolean> => {
    const now = rules.clock();
    const n = await db
      .knex('segments')
      .where({ tenant, id })
      .where((w) => w.whereNull('rule_lease_until').orWhere('rule_lease_until', '<', now))
      .update({ rule_lease_until: now + opts.leaseMs });
    return n === 1;
  };

  const tick = async (): Promise<number> => {
    let evaluated = 0;
    for (const { tenant, id } of await due()) {
      if (stopped) break;
      if (!(await lease(tenant, id))) continue; // another instance has it
      try {
        await rules.evaluateSegment(tenant, id);
        evaluated++;
      } catch (err) {
        opts.log?.(`rule evaluation of ${tenant}/${id} failed; it will be retried`, err);
      } finally {
        await db
          .knex('segments')
          .where({ tenant, id })
          .update({ rule_lease_until: null })
          .catch(() => undefined);
      }
    }
    return evaluated;
  };

  const timer = setInterval(() => {
    if (running || stopped) return; // a slow pass is not overlapped by the next one
    running = tick()
      .catch((err) => {
        opts.log?.('rule scheduler pass failed', err);
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  }, opts.intervalMs);
  timer.unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
