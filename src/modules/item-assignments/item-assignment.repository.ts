import type { Knex } from 'knex';
import type { Database } from '../../db/knex';
import { inLockOrder } from '../../db/lock-order';
import { withTransaction } from '../../db/transaction';
import { jsonOrNull, parseJson, toInt, toMetadata, toValidity } from '../../db/rows';
import { ConflictError, MSG_CHANGED, notFound } from '../../errors';
import { makeResolver } from '../../query/fields';
import type { Paging } from '../../query/paging';
import type { Sql } from '../../query/json-sql';
import { applyWhere } from '../../query/q-compile';
import { applySort, type SortKey } from '../../query/sort';
import { type BulkOutcome, bulkError, bulkOk } from '../shared/bulk';
import { armChunks, segmentCounters, segmentPageRead, unionOfPages } from '../shared/paging-sql';
import { type Membership, type SegmentRepository, validAt } from '../segments/segment.repository';
import type { AssignmentType } from '../customer-assignments/customer-assignment.type';
import { type ItemAssignmentRecord, ItemType } from './item-assignment.type';

/** Fields `q` and `sort` may name for item assignments (docs/behaviour.md "Searchable fields"). */
export const itemAssignmentFields = makeResolver({
  columns: {
    'item.id': { column: 'ia.item_id', kind: 'string' },
    type: { column: 'ia.type', kind: 'enum', enumValues: [ItemType.PRODUCT, ItemType.CATEGORY] },
    segmentId: { column: 'ia.segment_id', kind: 'string' },
    assignmentType: { column: 'ia.assignment_type', kind: 'enum', enumValues: ['MANUAL', 'AUTOMATIC'] },
    'validity.from': { column: 'ia.validity_from', kind: 'instant' },
    'validity.to': { column: 'ia.validity_to', kind: 'instant' },
    'metadata.createdAt': { column: 'ia.created_at', kind: 'instant' },
    'metadata.modifiedAt': { column: 'ia.modified_at', kind: 'instant' },
    'metadata.version': { column: 'ia.version', kind: 'number' },
  },
  aliases: { itemId: 'item.id', metadataCreatedAt: 'metadata.createdAt', metadataModifiedAt: 'metadata.modifiedAt' },
  json: { mixins: 'ia.mixins', 'metadata.mixins': 'ia.metadata_mixins' },
});

/** Without `sort`, and after it: a stable order (creation time, then the key). */
const TIEBREAK = ['ia.created_at', 'ia.segment_id', 'ia.type', 'ia.item_id'];
/**
 * The same order within one segment, where segment_id is fixed by the WHERE. Left in the ORDER
 * BY, MariaDB 10.11 does not always see that the column is constant (it depends on the
 * connection's character set: not over a utf8mb4 connection like mysql2's, whatever its
 * collation; over the mysql client's utf8mb3 it does), stops reading
 * item_assign_tenant_segment_page in order, and reads and filesorts every assignment of the
 * segment instead.
 */
const SEGMENT_TIEBREAK = TIEBREAK.filter((c) => c !== 'ia.segment_id');

const tiebreakOf = (f: ItemAssignmentFilter): string[] => (f.segmentIds?.length === 1 ? SEGMENT_TIEBREAK : TIEBREAK);

/** Conditions on the segment an item belongs to: what cross-segment listings and read_own filter on. */
export interface SegmentScope {
  siteCode?: string;
  activeOnly?: boolean;
  member?: Membership;
  /**
   * Answer as at this instant: segments active then, and only item assignments valid then
   * (now ∈ [from, to)). Unset: every assignment, with its validity (the admin listing).
   */
  at?: number;
}

export interface ItemAssignmentFilter {
  segmentIds?: readonly string[];
  type?: ItemType;
  where?: readonly Sql[];
  segments?: SegmentScope;
}

/** Whether the filter, past its segments, keeps every item assignment: the counters then count it. */
function keepsEveryItem(f: Omit<ItemAssignmentFilter, 'segmentIds'>): boolean {
  return !f.type && !f.segments && !f.where?.length;
}

export interface ItemKey {
  segmentId: string;
  type: ItemType;
  itemId: string;
}

/** What a PUT writes; `expectedVersion` is only the lock check. */
export interface ItemAssignmentDraft {
  mixins: Record<string, unknown> | null;
  metadataMixins: Record<string, string> | null;
  /** Time-bound: counted for what members get only while now ∈ [from, to). */
  validityFrom: number | null;
  validityTo: number | null;
  expectedVersion?: number;
}

export interface ItemAssignmentBulkDraft extends ItemAssignmentDraft {
  itemId: string;
}

interface ItemAssignmentRow {
  tenant: string;
  segment_id: string;
  type: string;
  item_id: string;
  assignment_type: string;
  mixins: string | null;
  metadata_mixins: string | null;
  validity_from: number | string | null;
  validity_to: number | string | null;
  version: number | string;
  created_at: number | string;
  modified_at: number | string;
}

const PK = ['tenant', 'segment_id', 'type', 'item_id'];
const MUTABLE = ['assignment_type', 'mixins', 'metadata_mixins', 'validity_from', 'validity_to', 'version', 'modified_at'];
const EXCLUSIONS = 'item_exclusions';

export function toItemAssignmentRecord(row: ItemAssignmentRow): ItemAssignmentRecord {
  return {
    tenant: row.tenant,
    segmentId: row.segment_id,
    type: row.type as ItemType,
    itemId: row.item_id,
    assignmentType: (row.assignment_type ?? 'MANUAL') as AssignmentType,
    mixins: parseJson(row.mixins),
    validity: toValidity(row),
    metadata: toMetadata(row),
  };
}

function draftColumns(
  d: ItemAssignmentDraft,
): Pick<ItemAssignmentRow, 'assignment_type' | 'mixins' | 'metadata_mixins' | 'validity_from' | 'validity_to'> {
  // Whatever the API writes is MANUAL (an AUTOMATIC member put by hand becomes a manual one).
  return {
    assignment_type: 'MANUAL',
    mixins: jsonOrNull(d.mixins),
    metadata_mixins: jsonOrNull(d.metadataMixins),
    validity_from: d.validityFrom,
    validity_to: d.validityTo,
  };
}

export class ItemAssignmentRepository {
  constructor(
    private readonly db: Database,
    private readonly segments: SegmentRepository,
  ) {}

  /** Batch function of the `itemAssignmentByKey` loader: one query, key order, misses null. */
  async findByKeys(tenant: string, keys: readonly ItemKey[]): Promise<(ItemAssignmentRecord | null)[]> {
    const rows: ItemAssignmentRow[] = await this.db
      .knex('item_assignments')
      .where('tenant', tenant)
      .whereIn(
        ['segment_id', 'type', 'item_id'],
        keys.map((k) => [k.segmentId, k.type, k.itemId]),
      );
    const byKey = new Map(rows.map((r) => [keyString(r.segment_id, r.type, r.item_id), toItemAssignmentRecord(r)]));
    return keys.map((k) => byKey.get(keyString(k.segmentId, k.type, k.itemId)) ?? null);
  }

  /**
   * One page, as a deferred join: the keys first, ordered and cut from the index that holds a
   * segment's default order and the key (item_assign_tenant_segment_page), then the page's
   * rows. OFFSET skips index entries instead of rows; order and OFFSET semantics unchanged.
   */
  async list(tenant: string, filter: ItemAssignmentFilter, sort: SortKey[], paging: Paging): Promise<ItemAssignmentRecord[]> {
    const tiebreak = tiebreakOf(filter);
    // One segment's every assignment: its counter is the list's size (countsBySegmentIds).
    const [segmentId, ...others] = filter.segmentIds ?? [];
    const whole =
      segmentId !== undefined && !others.length && keepsEveryItem(filter)
        ? { segmentId, counter: 'item_count' as const }
        : undefined;
    const read = await segmentPageRead(this.db.knex, tenant, paging, whole);
    if (!read) return [];
    const keys = this.filtered(tenant, filter).select(PK.map((c) => `ia.${c}`));
    // A page near the end is cut from the reversed order; the join below puts it back in order.
    applySort(keys, sort, tiebreak, read.reversed);
    keys.limit(read.limit).offset(read.offset);
    const qb = this.db.knex
      .select('ia.*')
      .from(keys.as('k'))
      .join('item_assignments as ia', (j) => {
        for (const c of PK) j.on(`ia.${c}`, '=', `k.${c}`);
      });
    applySort(qb, sort, tiebreak);
    const rows: ItemAssignmentRow[] = await qb;
    return rows.map(toItemAssignmentRecord);
  }

  async count(tenant: string, filter: ItemAssignmentFilter): Promise<number> {
    if (filter.segmentIds?.length === 1) {
      const { segmentIds, ...rest } = filter;
      const [n] = await this.countsBySegmentIds(tenant, segmentIds, rest);
      return n;
    }
    const row = (await this.filtered(tenant, filter).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return row ? toInt(row.n) : 0;
  }

  /**
   * One page per segment, for any number of segments in one statement: a UNION ALL of one
   * `SELECT … WHERE segment_id = ? ORDER BY … LIMIT n OFFSET m` per segment, each read from the
   * segment's index range, so the work grows with the page and not with the segments' sizes (a
   * ROW_NUMBER() window numbered every member first). The arms come back in sequence, each in
   * its own order (unionOfPages). Batch function of the `itemAssignmentsBySegmentId` loaders; key order, `[]` for none.
   */
  async pagesBySegmentIds(
    tenant: string,
    segmentIds: readonly string[],
    filter: Omit<ItemAssignmentFilter, 'segmentIds'>,
    sort: SortKey[],
    paging: Paging,
  ): Promise<ItemAssignmentRecord[][]> {
    const bySegment = new Map<string, ItemAssignmentRecord[]>(segmentIds.map((id) => [id, []]));
    for (const ids of armChunks(segmentIds)) {
      const arms = ids.map((id) => {
        const arm = this.filtered(tenant, { ...filter, segmentIds: [id] }).select('ia.*');
        applySort(arm, sort, SEGMENT_TIEBREAK);
        return arm.limit(paging.pageSize).offset(paging.offset);
      });
      const rows: ItemAssignmentRow[] = await unionOfPages(this.db.knex, this.db.dialect, arms);
      for (const row of rows) bySegment.get(row.segment_id)?.push(toItemAssignmentRecord(row));
    }
    return segmentIds.map((id) => bySegment.get(id) ?? []);
  }

  /** Matches per segment, key order, 0 for none: the counters when unfiltered, else one GROUP BY. */
  async countsBySegmentIds(
    tenant: string,
    segmentIds: readonly string[],
    filter: Omit<ItemAssignmentFilter, 'segmentIds'>,
  ): Promise<number[]> {
    if (!segmentIds.length) return [];
    // Every assignment of the segment: its counter (migrations/007), one row per segment.
    if (keepsEveryItem(filter)) {
      return segmentCounters(this.db.knex, tenant, segmentIds, 'item_count');
    }
    const rows: { segment_id: string; n: number | string }[] = await this.filtered(tenant, { ...filter, segmentIds })
      .select('ia.segment_id')
      .count({ n: '*' })
      .groupBy('ia.segment_id');
    const bySegment = new Map(rows.map((r) => [r.segment_id, toInt(r.n)]));
    return segmentIds.map((id) => bySegment.get(id) ?? 0);
  }

  private filtered(tenant: string, f: ItemAssignmentFilter): Knex.QueryBuilder {
    const qb = this.db.knex('item_assignments as ia').where('ia.tenant', tenant);
    if (f.segmentIds?.length === 1) qb.where('ia.segment_id', f.segmentIds[0]);
    else if (f.segmentIds) qb.whereIn('ia.segment_id', f.segmentIds as string[]);
    if (f.type) qb.where('ia.type', f.type);
    if (f.segments) {
      qb.whereIn('ia.segment_id', this.segmentSubquery(tenant, f.segments));
      if (f.segments.at !== undefined) validAt(qb, 'ia', f.segments.at);
    }
    if (f.where?.length) applyWhere(qb, f.where);
    return qb;
  }

  /** Ids of the segments in scope; the active and membership rules are SegmentRepository's. */
  private segmentSubquery(tenant: string, scope: SegmentScope): Knex.QueryBuilder {
    const sub = this.db.knex('segments as s').select('s.id').where('s.tenant', tenant);
    if (scope.siteCode !== undefined) sub.where('s.site_code', scope.siteCode);
    if (scope.activeOnly) this.segments.activeCondition(sub, 's', scope.at);
    if (scope.member) sub.whereIn('s.id', this.segments.memberSubquery(tenant, scope.member));
    return sub;
  }

  /**
   * Every writer locks its segment row first, so locks are always taken segment first, then
   * assignment rows (a concurrent segment delete waits, or goes first and the writer finds no
   * segment). Exclusively, for every writer: inserts and deletes of assignments update the
   * segment's counters by trigger (migrations/007), and two shared locks both upgrading to
   * write the row would deadlock. SQLite serialises writers anyway.
   */
  /** Locks the segment row; undefined when there is none. `ruled`: it has an item rule. */
  private async lockSegment(trx: Knex.Transaction, tenant: string, segmentId: string): Promise<{ ruled: boolean } | undefined> {
    const row: { item_rule: string | null } | undefined = await trx('segments')
      .select('item_rule')
      .where({ tenant, id: segmentId })
      .forUpdate()
      .first();
    return row && { ruled: !!row.item_rule };
  }

  private async requireSegment(trx: Knex.Transaction, tenant: string, segmentId: string): Promise<{ ruled: boolean }> {
    const segment = await this.lockSegment(trx, tenant, segmentId);
    if (!segment) throw notFound(segmentId);
    return segment;
  }

  /** A member put back by hand is a manual include: its exclusion goes (README "Segment rules"). */
  private async lift(trx: Knex.Transaction, tenant: string, segmentId: string, type: ItemType, itemIds: string[]): Promise<void> {
    if (itemIds.length) await trx(EXCLUSIONS).where({ tenant, segment_id: segmentId, type }).whereIn('item_id', itemIds).delete();
  }

  /**
   * PUT semantics: create when missing (version ignored), else replace with the version check.
   * The locking read of the assignment makes the check exact. Two requests creating the same
   * key both find it missing; the second INSERT fails on the primary key, and the transaction
   * runs again and is judged against the winner's state (so "no version, no check" holds under
   * concurrency too).
   */
  async upsert(
    tenant: string,
    key: ItemKey,
    draft: ItemAssignmentDraft,
  ): Promise<{ created: boolean; assignment: ItemAssignmentRecord }> {
    const where = { tenant, segment_id: key.segmentId, type: key.type, item_id: key.itemId };
    return withTransaction(
      this.db,
      async (trx) => {
        const segment = await this.requireSegment(trx, tenant, key.segmentId);
        if (segment.ruled) await this.lift(trx, tenant, key.segmentId, key.type, [key.itemId]);
        const current: ItemAssignmentRow | undefined = await trx('item_assignments').where(where).forUpdate().first();
        const now = Date.now();
        if (!current) {
          const row: ItemAssignmentRow = { ...where, ...draftColumns(draft), version: 1, created_at: now, modified_at: now };
          await trx('item_assignments').insert(row);
          return { created: true, assignment: toItemAssignmentRecord(row) };
        }
        const version = toInt(current.version);
        if (draft.expectedVersion !== undefined && draft.expectedVersion !== version) {
          throw new ConflictError(MSG_CHANGED, key.itemId);
        }
        const row: ItemAssignmentRow = { ...current, ...draftColumns(draft), version: version + 1, modified_at: now };
        await trx('item_assignments').where(where).update(pick(row, MUTABLE));
        return { created: false, assignment: toItemAssignmentRecord(row) };
      },
      { retryDuplicateKey: true },
    );
  }

  /**
   * Bulk upsert under one segment and type: one read of the stored versions, then one
   * multi-row INSERT … ON CONFLICT MERGE for creations and updates together. A missing
   * segment fails the whole request (404). An id repeated in the request is 409: the element
   * after the first would race against it. Elements that already failed pass through.
   */
  async upsertMany(
    tenant: string,
    segmentId: string,
    type: ItemType,
    drafts: (ItemAssignmentBulkDraft | BulkOutcome)[],
  ): Promise<BulkOutcome[]> {
    return withTransaction(this.db, async (trx) => {
      const segment = await this.requireSegment(trx, tenant, segmentId);
      const ids = drafts.filter((d): d is ItemAssignmentBulkDraft => !isOutcome(d)).map((d) => d.itemId);
      const existing = await this.versions(trx, tenant, segmentId, type, ids);
      const now = Date.now();
      const seen = new Set<string>();
      const rows: ItemAssignmentRow[] = [];
      const out = drafts.map((d) => {
        if (isOutcome(d)) return d;
        const id = d.itemId;
        if (seen.has(id)) return bulkError(409, 'The id appears more than once in this request.', id);
        seen.add(id);
        const stored = existing.get(id);
        if (stored !== undefined && d.expectedVersion !== undefined && d.expectedVersion !== stored) {
          return bulkError(409, MSG_CHANGED, id);
        }
        rows.push({
          tenant,
          segment_id: segmentId,
          type,
          item_id: id,
          ...draftColumns(d),
          version: stored === undefined ? 1 : stored + 1,
          created_at: now,
          modified_at: now,
        });
        return bulkOk(stored === undefined ? 201 : 204, id);
      });
      if (rows.length) {
        await trx('item_assignments')
          .insert(inLockOrder(rows, (r) => r.item_id))
          .onConflict(PK)
          .merge(MUTABLE);
        if (segment.ruled)
          await this.lift(
            trx,
            tenant,
            segmentId,
            type,
            rows.map((r) => r.item_id),
          );
      }
      return out;
    });
  }

  private async versions(
    trx: Knex.Transaction,
    tenant: string,
    segmentId: string,
    type: ItemType,
    itemIds: string[],
  ): Promise<Map<string, number>> {
    if (!itemIds.length) return new Map();
    const rows: { item_id: string; version: number | string }[] = await trx('item_assignments')
      .select('item_id', 'version')
      .where({ tenant, segment_id: segmentId, type })
      .whereIn('item_id', itemIds)
      .orderBy('item_id')
      .forUpdate();
    return new Map(rows.map((r) => [r.item_id, toInt(r.version)]));
  }

  /** DELETE is idempotent: a missing assignment or segment is fine. */
  async delete(tenant: string, key: ItemKey): Promise<void> {
    await this.deleteMany(tenant, key.segmentId, key.type, [key.itemId]);
  }

  /** One DELETE for every valid id; each is 204 whether or not it existed. */
  async deleteMany(tenant: string, segmentId: string, type: ItemType, input: (string | BulkOutcome)[]): Promise<BulkOutcome[]> {
    const ids = input.filter((x): x is string => typeof x === 'string');
    if (ids.length) {
      await withTransaction(this.db, async (trx) => {
        const segment = await this.lockSegment(trx, tenant, segmentId);
        await trx('item_assignments').where({ tenant, segment_id: segmentId, type }).whereIn('item_id', ids).delete();
        // In a segment with an item rule, an item removed by hand stays out (an exclusion).
        if (segment?.ruled) {
          const now = Date.now();
          const rows = [...new Set(ids)]
            .sort()
            .map((item_id) => ({ tenant, segment_id: segmentId, type, item_id, created_at: now }));
          await trx(EXCLUSIONS).insert(rows).onConflict(PK).ignore();
        }
      });
    }
    return input.map((id) => (typeof id === 'string' ? bulkOk(204, id) : id));
  }
}

export function keyString(segmentId: string, type: string, itemId: string): string {
  // Ids never contain '/' (docs/behaviour.md), so the joined form is unambiguous.
  return `${segmentId}/${type}/${itemId}`;
}

function isOutcome(d: unknown): d is BulkOutcome {
  return typeof d === 'object' && d !== null && 'code' in d && 'status' in d;
}

function pick<T extends object>(obj: T, keys: string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (obj as Record<string, unknown>)[k];
  return out as Partial<T>;
}
