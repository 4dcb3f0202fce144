import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import { isDatabaseUnavailable } from '../../db/errors';
import type { Database } from '../../db/knex';
import { withTransaction } from '../../db/transaction';
import type { Sql } from '../../query/json-sql';
import { type CustomerScope, customerMatch, type ItemScope, itemMatch } from './rule.sql';
import { type ParsedRule, parseRule, type RuleSide } from './rule.parse';

/** A segment's rules, parsed. */
export interface RuleSegment {
  id: string;
  customerRule: ParsedRule | null;
  itemRule: ParsedRule | null;
}

export interface RuleChanges {
  added: number;
  removed: number;
}

/** What changed in the reference store, so that only those members are looked at again. */
export interface ReferenceChanges {
  customerIds?: readonly string[];
  legalEntityIds?: readonly string[];
  productIds?: readonly string[];
}

/** How the evaluator is tuned; production takes the defaults from limits.ts through app.ts. */
export interface EvaluatorOptions {
  /** The clock relative instants are read against (tests inject one). */
  now?: () => number;
  /** Time limit of one evaluation statement (a whole segment over a large store takes a while). */
  statementTimeoutMs?: number;
  /** Where a failed evaluation's cause goes (its status only says that it failed). */
  onError?: (err: unknown, context: { tenant: string; segmentId: string }) => void;
}

const AUTOMATIC = 'AUTOMATIC';

function affected(db: Database, result: unknown): number {
  // mysql2 answers [ResultSetHeader, …]; better-sqlite3 { changes }.
  if (db.dialect === 'mysql') return Number((result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0);
  return Number((result as { changes?: number }).changes ?? 0);
}

function union(parts: readonly Sql[]): Sql {
  return { sql: parts.map((p) => p.sql).join(' UNION ALL '), bindings: parts.flatMap((p) => p.bindings) };
}

/**
 * Keeps rule members in step with rules and reference data, in set-based SQL:
 *
 *   members = rule matches ∪ manual includes − exclusions
 *
 * Rule members are customer / item assignments with `assignment_type = AUTOMATIC`, so every read
 * that exists sees them as it sees any member. An evaluation inserts what newly matches (unless
 * already assigned — a MANUAL row stays MANUAL — or excluded) and deletes AUTOMATIC rows that no
 * longer match; MANUAL rows are never touched. For many segments at once (a changed customer
 * against every rule of its tenant) it is still one INSERT … SELECT and one DELETE per side.
 */
export class RuleEvaluator {
  /** Parsed rules by text: rules repeat across segments and requests. Bounded. */
  private readonly parsed = new LRUCache<string, ParsedRule>({ max: 1000 });
  private readonly now: () => number;
  private readonly statementTimeoutMs: number;
  private readonly onError: NonNullable<EvaluatorOptions['onError']>;
  /** MariaDB also limits statements server-side (max_statement_time per session): lifted per statement. */
  private mariadb: Promise<boolean> | undefined;

  constructor(
    private readonly db: Database,
    opts: EvaluatorOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.statementTimeoutMs = opts.statementTimeoutMs ?? 120_000;
    this.onError = opts.onError ?? (() => undefined);
  }

  clock(): number {
    return this.now();
  }

  /** A stored rule, parsed (cached); null when there is none. */
  rule(side: RuleSide, text: string | null): ParsedRule | null {
    if (text === null || text === '') return null;
    const key = `${side}\u0000${text}`;
    let hit = this.parsed.get(key);
    if (!hit) {
      const parsed = parseRule(side, text, this.db.dialect);
      if (!parsed) return null;
      this.parsed.set(key, (hit = parsed));
    }
    return hit;
  }

  /** The tenant's segments that have a rule, parsed. */
  async ruleSegments(q: Knex | Knex.Transaction, tenant: string, ids?: readonly string[]): Promise<RuleSegment[]> {
    const qb = q('segments')
      .select('id', 'customer_rule', 'item_rule')
      .where('tenant', tenant)
      .where((w) => w.whereNotNull('customer_rule').orWhereNotNull('item_rule'));
    if (ids) qb.whereIn('id', ids as string[]);
    const rows: { id: string; customer_rule: string | null; item_rule: string | null }[] = await qb;
    return rows.map((r) => ({
      id: r.id,
      customerRule: this.rule('customer', r.customer_rule),
      itemRule: this.rule('item', r.item_rule),
    }));
  }

  /**
   * Evaluates one segment's rules completely, in one transaction of its own, and records the
   * outcome in the segment's rule status. A segment without a rule on a side loses that side's
   * automatic members. The caller holds no transaction: a large store takes a while.
   */
  async evaluateSegment(tenant: string, segmentId: string): Promise<{ customers: RuleChanges; items: RuleChanges }> {
    const started = performance.now();
    const now = this.now();
    try {
      const result = await withTransaction(
        this.db,
        async (trx) => {
          // Writers of one segment take turns on its row (assignment writes lock it too).
          const row: { customer_rule: string | null; item_rule: string | null } | undefined = await trx('segments')
            .select('customer_rule', 'item_rule')
            .where({ tenant, id: segmentId })
            .forUpdate()
            .first();
          if (!row) return { customers: { added: 0, removed: 0 }, items: { added: 0, removed: 0 } };
          const seg: RuleSegment = {
            id: segmentId,
            customerRule: this.rule('customer', row.customer_rule),
            itemRule: this.rule('item', row.item_rule),
          };
          const customers = await this.applyCustomers(trx, tenant, [seg], now);
          const items = await this.applyItems(trx, tenant, [seg], now);
          await trx('segments')
            .where({ tenant, id: segmentId })
            .update({ rule_evaluated_at: now, rule_duration_ms: Math.round(performance.now() - started), rule_error: null });
          return { customers, items };
        },
        { retryDuplicateKey: true },
      );
      return result;
    } catch (err) {
      // The rule stays stored; its status says that its members are not current (never the
      // driver's text), the log says why, and the scheduler tries again.
      this.onError(err, { tenant, segmentId });
      await this.db
        .knex('segments')
        .where({ tenant, id: segmentId })
        .update({ rule_error: errorText(err), rule_duration_ms: Math.round(performance.now() - started) })
        .catch(() => undefined);
      throw err;
    }
  }

  /**
   * After the category tree changed (a move, a code, a deletion): item rules that name
   * `category.*` are evaluated again, each segment completely and in a transaction of its own —
   * a move can change what a whole subtree's products match. Failures are recorded on the rule.
   */
  async evaluateCategoryRules(tenant: string): Promise<void> {
    const segments = await this.ruleSegments(this.db.knex, tenant);
    for (const s of segments) {
      if (s.itemRule?.byCategory) await this.evaluateSegment(tenant, s.id).catch(() => undefined);
    }
  }

  /**
   * Re-evaluates changed reference data against every rule of the tenant, inside the caller's
   * transaction (the write that changed it): the changed customers (and customers of changed
   * legal entities) against customer rules, the changed products against item rules.
   */
  async applyReferenceChanges(trx: Knex.Transaction, tenant: string, changes: ReferenceChanges): Promise<void> {
    const hasCustomers = !!(changes.customerIds?.length || changes.legalEntityIds?.length);
    const hasProducts = !!changes.productIds?.length;
    if (!hasCustomers && !hasProducts) return;
    const segments = await this.ruleSegments(trx, tenant);
    if (!segments.length) return;
    const now = this.now();
    if (hasCustomers) {
      await this.applyCustomers(trx, tenant, segments, now, {
        customerIds: changes.customerIds,
        legalEntityIds: changes.legalEntityIds,
      });
    }
    if (hasProducts) await this.applyItems(trx, tenant, segments, now, { productIds: changes.productIds });
  }

  /** Customer side for `segments` (all of the tenant's customers, or those in `scope`). */
  async applyCustomers(
    trx: Knex.Transaction,
    tenant: string,
    segments: readonly RuleSegment[],
    now: number,
    scope?: CustomerScope,
  ): Promise<RuleChanges> {
    const withRule = segments.filter((s) => s.customerRule);
    const scoped = scope && (scope.customerIds?.length || scope.legalEntityIds?.length);
    let added = 0;
    if (withRule.length) {
      const matches = union(
        withRule.map((s) => {
          const m = customerMatch(s.customerRule as ParsedRule, tenant, this.db.dialect, now, scoped ? scope : undefined);
          return {
            sql: `SELECT ? AS segment_id, x.customer_id, x.legal_entity_id FROM (${m.sql}) x`,
            bindings: [s.id, ...m.bindings],
          };
        }),
      );
      const insert = await this.statement(
        trx,
        'INSERT INTO customer_assignments (tenant, segment_id, customer_id, legal_entity_id, assignment_type, version, created_at, modified_at) ' +
          `SELECT ?, m.segment_id, m.customer_id, m.legal_entity_id, '${AUTOMATIC}', 1, ?, ? FROM (${matches.sql}) m ` +
          'WHERE NOT EXISTS (SELECT 1 FROM customer_assignments a WHERE a.tenant = ? AND a.segment_id = m.segment_id ' +
          'AND a.customer_id = m.customer_id AND a.legal_entity_id = m.legal_entity_id) ' +
          'AND NOT EXISTS (SELECT 1 FROM customer_exclusions e WHERE e.tenant = ? AND e.segment_id = m.segment_id ' +
          'AND e.customer_id = m.customer_id AND e.legal_entity_id = m.legal_entity_id)',
        [tenant, now, now, ...matches.bindings, tenant, tenant],
      );
      added = affected(this.db, insert);
    }
    // Automatic rows that no longer match: each is checked against its own segment's rule, by key.
    const keep = withRule.map((s) => {
      const m = customerMatch(s.customerRule as ParsedRule, tenant, this.db.dialect, now);
      const correlate = (s.customerRule as ParsedRule).b2b
        ? 'cle.customer_id = customer_assignments.customer_id AND cle.legal_entity_id = customer_assignments.legal_entity_id'
        : "c.id = customer_assignments.customer_id AND customer_assignments.legal_entity_id = ''";
      return { sql: `(segment_id = ? AND EXISTS (${m.sql} AND ${correlate}))`, bindings: [s.id, ...m.bindings] };
    });
    const scopeSql: Sql[] = [];
    if (scoped && scope?.customerIds?.length) {
      scopeSql.push({ sql: `customer_id IN (${scope.customerIds.map(() => '?').join(', ')})`, bindings: [...scope.customerIds] });
    }
    if (scoped && scope?.legalEntityIds?.length) {
      scopeSql.push({
        sql: `legal_entity_id IN (${scope.legalEntityIds.map(() => '?').join(', ')})`,
        bindings: [...scope.legalEntityIds],
      });
    }
    const ids = segments.map((s) => s.id);
    // Scoped re-evaluations only look at segments with a rule; a full one also clears a removed rule.
    const targets = scoped ? withRule.map((s) => s.id) : ids;
    if (!targets.length) return { added, removed: 0 };
    const del = await this.statement(
      trx,
      `DELETE FROM customer_assignments WHERE tenant = ? AND assignment_type = '${AUTOMATIC}' ` +
        `AND segment_id IN (${targets.map(() => '?').join(', ')})` +
        (scopeSql.length ? ` AND (${scopeSql.map((s) => s.sql).join(' OR ')})` : '') +
        (keep.length ? ` AND NOT (${keep.map((k) => k.sql).join(' OR ')})` : ''),
      [tenant, ...targets, ...scopeSql.flatMap((s) => s.bindings), ...keep.flatMap((k) => k.bindings)],
    );
    return { added, removed: affected(this.db, del) };
  }

  /** Item side for `segments`: products the item rules match (all, or those in `scope`). */
  async applyItems(
    trx: Knex.Transaction,
    tenant: string,
    segments: readonly RuleSegment[],
    now: number,
    scope?: ItemScope,
  ): Promise<RuleChanges> {
    const withRule = segments.filter((s) => s.itemRule);
    const scoped = !!scope?.productIds?.length;
    let added = 0;
    const matchOf = (s: RuleSegment) =>
      itemMatch(s.itemRule as ParsedRule, tenant, this.db.dialect, now, scoped ? scope : undefined);
    if (withRule.length) {
      const matches = union(
        withRule.map((s) => {
          const m = matchOf(s);
          return { sql: `SELECT ? AS segment_id, x.item_id FROM (${m.sql}) x`, bindings: [s.id, ...m.bindings] };
        }),
      );
      const insert = await this.statement(
        trx,
        'INSERT INTO item_assignments (tenant, segment_id, type, item_id, assignment_type, version, created_at, modified_at) ' +
          `SELECT ?, m.segment_id, 'PRODUCT', m.item_id, '${AUTOMATIC}', 1, ?, ? FROM (${matches.sql}) m ` +
          "WHERE NOT EXISTS (SELECT 1 FROM item_assignments a WHERE a.tenant = ? AND a.segment_id = m.segment_id AND a.type = 'PRODUCT' " +
          'AND a.item_id = m.item_id) ' +
          "AND NOT EXISTS (SELECT 1 FROM item_exclusions e WHERE e.tenant = ? AND e.segment_id = m.segment_id AND e.type = 'PRODUCT' " +
          'AND e.item_id = m.item_id)',
        [tenant, now, now, ...matches.bindings, tenant, tenant],
      );
      added = affected(this.db, insert);
    }
    const keep = withRule.map((s) => {
      const m = matchOf(s);
      return { sql: `(segment_id = ? AND item_id IN (SELECT k.item_id FROM (${m.sql}) k))`, bindings: [s.id, ...m.bindings] };
    });
    const targets = scoped ? withRule.map((s) => s.id) : segments.map((s) => s.id);
    if (!targets.length) return { added, removed: 0 };
    const ids = scoped ? (scope?.productIds ?? []) : [];
    const del = await this.statement(
      trx,
      `DELETE FROM item_assignments WHERE tenant = ? AND type = 'PRODUCT' AND assignment_type = '${AUTOMATIC}' ` +
        `AND segment_id IN (${targets.map(() => '?').join(', ')})` +
        (ids.length ? ` AND item_id IN (${ids.map(() => '?').join(', ')})` : '') +
        (keep.length ? ` AND NOT (${keep.map((k) => k.sql).join(' OR ')})` : ''),
      [tenant, ...targets, ...ids, ...keep.flatMap((k) => k.bindings)],
    );
    return { added, removed: affected(this.db, del) };
  }

  /** One evaluation statement, with its own (longer) time limit on both sides of the wire. */
  private async statement(trx: Knex.Transaction, sql: string, bindings: readonly unknown[]): Promise<unknown> {
    if (this.db.dialect !== 'mysql') return trx.raw(sql, bindings as Knex.RawBinding[]);
    this.mariadb ??= trx
      .raw('SELECT VERSION() AS v')
      .then((r: [{ v: string }[]]) => /mariadb/i.test(r[0][0]?.v ?? ''))
      .catch(() => false);
    const seconds = (this.statementTimeoutMs / 1000).toFixed(3);
    const text = (await this.mariadb) ? `SET STATEMENT max_statement_time = ${seconds} FOR ${sql}` : sql;
    return trx.raw(text, bindings as Knex.RawBinding[]).options({ timeout: this.statementTimeoutMs });
  }
}

/** What a rule's status says about a failed evaluation: never the driver's text (it may hold SQL). */
function errorText(err: unknown): string {
  if (isDatabaseUnavailable(err)) return 'The database did not answer in time; the evaluation will be retried.';
  return 'The evaluation failed (the cause is in the service log); it will be retried.';
}
