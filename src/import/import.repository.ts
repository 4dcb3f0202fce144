import type { Knex } from 'knex';
import type { Database } from '../db/knex';
import { inLockOrder } from '../db/lock-order';
import { jsonOrNull } from '../db/rows';
import { chunks, rowsPerInsert } from '../modules/catalog/catalog.repository';
import type { CustomerAssignmentLine, ItemAssignmentLine } from './import.lines';

/**
 * Multi-row assignment writes for the import. The assignment modules write one segment at a
 * time with per-element outcomes and optimistic locks; an import writes thousands of rows
 * across segments, so it has its own statements — same tables, same rules: assignments come
 * from the API's world (`MANUAL`), version 1 on insert and +1 on every update.
 */
export class ImportRepository {
  constructor(private readonly db: Database) {}

  /**
   * Which of `ids` are segments of the tenant: one query per batch. It locks them (exclusively,
   * in id order) until commit, as the API's assignment writers lock their segment before its
   * rows: a segment delete cannot slip between this check and the write, and a bulk upsert of
   * the API takes turns with the batch instead of deadlocking. Exclusively because the inserts'
   * triggers update the segments' counters (migrations/007): two batches holding shared locks
   * would both upgrade them and deadlock.
   */
  async lockSegments(trx: Knex.Transaction, tenant: string, ids: readonly string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { id: string }[] = await trx('segments')
      .select('id')
      .where('tenant', tenant)
      .whereIn('id', [...ids].sort())
      .orderBy('id')
      .forUpdate();
    return new Set(rows.map((r) => r.id));
  }

  async upsertCustomerAssignments(
    trx: Knex.Transaction,
    tenant: string,
    lines: readonly CustomerAssignmentLine[],
  ): Promise<void> {
    const now = Date.now();
    const rows = lines.map((l) => ({
      tenant,
      segment_id: l.segmentId,
      customer_id: l.customerId,
      legal_entity_id: l.legalEntityId ?? '',
      assignment_type: 'MANUAL',
      mixins: jsonOrNull(l.mixins),
      metadata_mixins: jsonOrNull(l.metadataMixins),
      validity_from: l.validityFrom,
      validity_to: l.validityTo,
      version: 1,
      created_at: now,
      modified_at: now,
    }));
    await this.upsert(trx, 'customer_assignments', ['tenant', 'segment_id', 'customer_id', 'legal_entity_id'], rows, [
      'assignment_type',
      'mixins',
      'metadata_mixins',
      'validity_from',
      'validity_to',
      'modified_at',
    ]);
  }

  async upsertItemAssignments(trx: Knex.Transaction, tenant: string, lines: readonly ItemAssignmentLine[]): Promise<void> {
    const now = Date.now();
    const rows = lines.map((l) => ({
      tenant,
      segment_id: l.segmentId,
      type: l.type,
      item_id: l.itemId,
      assignment_type: 'MANUAL',
      mixins: jsonOrNull(l.mixins),
      metadata_mixins: jsonOrNull(l.metadataMixins),
      validity_from: l.validityFrom,
      validity_to: l.validityTo,
      version: 1,
      created_at: now,
      modified_at: now,
    }));
    await this.upsert(trx, 'item_assignments', ['tenant', 'segment_id', 'type', 'item_id'], rows, [
      'assignment_type',
      'mixins',
      'metadata_mixins',
      'validity_from',
      'validity_to',
      'modified_at',
    ]);
  }

  /**
   * INSERT … ON CONFLICT MERGE where the merged columns take the new row's values and `version`
   * adds 1 to the stored one. Knex's merge(columns) cannot mix in an expression, so the SET list
   * is spelled per dialect: SQLite names the new row `excluded`, MySQL/MariaDB `VALUES(col)`;
   * a bare `version` means the stored value in both.
   */
  private async upsert(trx: Knex.Transaction, table: string, key: string[], rows: object[], replaced: string[]): Promise<void> {
    const knex = this.db.knex;
    const incoming = (col: string): Knex.Raw =>
      this.db.dialect === 'mysql' ? knex.raw('VALUES(??)', [col]) : knex.raw('excluded.??', [col]);
    const set: Record<string, Knex.Raw> = Object.fromEntries(replaced.map((c) => [c, incoming(c)]));
    set.version = knex.raw('?? + 1', ['version']);
    // Key order, as the API writes its rows, so the two lock overlapping rows in the same order.
    const ordered = inLockOrder(rows, (r) => key.map((c) => String((r as Record<string, unknown>)[c])).join('\u0000'));
    for (const chunk of chunks(ordered, rowsPerInsert(this.db.dialect))) {
      await trx(table).insert(chunk).onConflict(key).merge(set);
    }
  }
}
