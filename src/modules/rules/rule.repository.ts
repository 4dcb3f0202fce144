import type { Database } from '../../db/knex';
import { placeholders, selectRows } from '../../db/knex';
import { msToDate, toInt } from '../../db/rows';
import { withTransaction } from '../../db/transaction';
import type { ItemType } from '../item-assignments/item-assignment.type';
import type { RuleEvaluator } from './rule.evaluator';
import type { ParsedRule } from './rule.parse';
import { customerMatch, itemMatch } from './rule.sql';

export interface CustomerMatchRow {
  customerId: string;
  legalEntityId: string | null;
}

export interface Preview<T> {
  count: number;
  sample: T[];
}

export interface CustomerExclusionRecord {
  segmentId: string;
  customerId: string;
  legalEntityId: string | null;
  createdAt: Date;
}

export interface ItemExclusionRecord {
  segmentId: string;
  type: ItemType;
  itemId: string;
  createdAt: Date;
}

/** Reads about rules (previews, exclusions, automatic counts) and the exclusion writes. */
export class RuleRepository {
  constructor(
    private readonly db: Database,
    private readonly rules: RuleEvaluator,
  ) {}

  /** What a customer rule matches now: a count and the first `size` matches. Nothing is written. */
  async previewCustomers(tenant: string, rule: ParsedRule, size: number): Promise<Preview<CustomerMatchRow>> {
    const m = customerMatch(rule, tenant, this.db.dialect, this.rules.clock());
    const [{ n }] = await selectRows<{ n: number | string }>(this.db, `SELECT COUNT(*) AS n FROM (${m.sql}) x`, m.bindings);
    const rows = await selectRows<{ customer_id: string; legal_entity_id: string }>(
      this.db,
      `SELECT x.customer_id, x.legal_entity_id FROM (${m.sql}) x ORDER BY x.customer_id, x.legal_entity_id LIMIT ?`,
      [...m.bindings, size],
    );
    return {
      count: toInt(n),
      sample: rows.map((r) => ({ customerId: r.customer_id, legalEntityId: r.legal_entity_id || null })),
    };
  }

  /** What an item rule matches now: a count and the first `size` product ids. */
  async previewItems(tenant: string, rule: ParsedRule, size: number): Promise<Preview<string>> {
    const m = itemMatch(rule, tenant, this.db.dialect, this.rules.clock());
    const [{ n }] = await selectRows<{ n: number | string }>(this.db, `SELECT COUNT(*) AS n FROM (${m.sql}) x`, m.bindings);
    const rows = await selectRows<{ item_id: string }>(this.db, `SELECT x.item_id FROM (${m.sql}) x ORDER BY x.item_id LIMIT ?`, [
      ...m.bindings,
      size,
    ]);
    return { count: toInt(n), sample: rows.map((r) => r.item_id) };
  }

  /**
   * AUTOMATIC members per segment, customers and items, for the `ruleStatus` loader: one
   * statement for all keys, counted on the (tenant, segment_id, assignment_type) indexes.
   */
  async automaticCounts(tenant: string, segmentIds: readonly string[]): Promise<{ customers: number; items: number }[]> {
    const ph = placeholders(segmentIds.length);
    const rows = await selectRows<{ segment_id: string; side: string; n: number | string }>(
      this.db,
      `SELECT segment_id, 'c' AS side, COUNT(*) AS n FROM customer_assignments WHERE tenant = ? AND segment_id IN (${ph}) ` +
        `AND assignment_type = 'AUTOMATIC' GROUP BY segment_id UNION ALL ` +
        `SELECT segment_id, 'i' AS side, COUNT(*) AS n FROM item_assignments WHERE tenant = ? AND segment_id IN (${ph}) ` +
        `AND assignment_type = 'AUTOMATIC' GROUP BY segment_id`,
      [tenant, ...segmentIds, tenant, ...segmentIds],
    );
    const by = new Map(segmentIds.map((id) => [id, { customers: 0, items: 0 }]));
    for (const r of rows) {
      const hit = by.get(r.segment_id);
      if (hit) hit[r.side === 'c' ? 'customers' : 'items'] = toInt(r.n);
    }
    return segmentIds.map((id) => by.get(id) ?? { customers: 0, items: 0 });
  }

  async customerExclusions(tenant: string, segmentId: string, limit: number, offset: number): Promise<CustomerExclusionRecord[]> {
    const rows: { customer_id: string; legal_entity_id: string; created_at: number | string }[] = await this.db
      .knex('customer_exclusions')
      .select('customer_id', 'legal_entity_id', 'created_at')
      .where({ tenant, segment_id: segmentId })
      .orderBy(['created_at', 'customer_id', 'legal_entity_id'])
      .limit(limit)
      .offset(offset);
    return rows.map((r) => ({
      segmentId,
      customerId: r.customer_id,
      legalEntityId: r.legal_entity_id || null,
      createdAt: msToDate(r.created_at) as Date,
    }));
  }

  async itemExclusions(tenant: string, segmentId: string, limit: number, offset: number): Promise<ItemExclusionRecord[]> {
    const rows: { type: string; item_id: string; created_at: number | string }[] = await this.db
      .knex('item_exclusions')
      .select('type', 'item_id', 'created_at')
      .where({ tenant, segment_id: segmentId })
      .orderBy(['created_at', 'type', 'item_id'])
      .limit(limit)
      .offset(offset);
    return rows.map((r) => ({
      segmentId,
      type: r.type as ItemType,
      itemId: r.item_id,
      createdAt: msToDate(r.created_at) as Date,
    }));
  }

  /**
   * Removes an exclusion; the rule may then take the member back (evaluated for that key, in the
   * same transaction). Idempotent: removing one that is not there is fine.
   */
  async deleteCustomerExclusion(
    tenant: string,
    segmentId: string,
    customerId: string,
    legalEntityId: string | null,
  ): Promise<void> {
    await withTransaction(
      this.db,
      async (trx) => {
        const seg = await trx('segments').select('id').where({ tenant, id: segmentId }).forUpdate().first();
        if (!seg) return;
        const n = await trx('customer_exclusions')
          .where({ tenant, segment_id: segmentId, customer_id: customerId, legal_entity_id: legalEntityId ?? '' })
          .delete();
        if (!n) return;
        const segments = await this.rules.ruleSegments(trx, tenant, [segmentId]);
        await this.rules.applyCustomers(trx, tenant, segments, this.rules.clock(), { customerIds: [customerId] });
      },
      { retryDuplicateKey: true },
    );
  }

  async deleteItemExclusion(tenant: string, segmentId: string, type: ItemType, itemId: string): Promise<void> {
    await withTransaction(
      this.db,
      async (trx) => {
        const seg = await trx('segments').select('id').where({ tenant, id: segmentId }).forUpdate().first();
        if (!seg) return;
        const n = await trx('item_exclusions').where({ tenant, segment_id: segmentId, type, item_id: itemId }).delete();
        if (!n || type !== 'PRODUCT') return;
        const segments = await this.rules.ruleSegments(trx, tenant, [segmentId]);
        await this.rules.applyItems(trx, tenant, segments, this.rules.clock(), { productIds: [itemId] });
      },
      { retryDuplicateKey: true },
    );
  }
}
