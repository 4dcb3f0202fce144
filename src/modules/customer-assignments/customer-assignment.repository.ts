import type { Knex } from 'knex';
import type { Database } from '../../db/knex';
import { inLockOrder } from '../../db/lock-order';
import { withTransaction } from '../../db/transaction';
import { jsonOrNull, toValidity, parseJson, toInt, toMetadata } from '../../db/rows';
import { ConflictError, MSG_CHANGED, notFound } from '../../errors';
import { makeResolver } from '../../query/fields';
import type { Paging } from '../../query/paging';
import type { Sql } from '../../query/json-sql';
import { applyWhere } from '../../query/q-compile';
import { applySort, type SortKey } from '../../query/sort';
import { type Membership, type SegmentRepository, validAt } from '../segments/segment.repository';
import { type BulkOutcome, bulkError, bulkOk } from '../shared/bulk';
import { armChunks, segmentCounters, segmentPageRead, unionOfPages } from '../shared/paging-sql';
import { AssignmentType, type CustomerAssignmentRecord } from './customer-assignment.type';
import { type CustomerAssignmentDraft, type CustomerAssignmentKey, keyString } from './customer-assignment.validation';

/**
 * Fields `q` and `sort` may name for customer assignments (docs/behaviour.md "Searchable fields").
 * B2C rows store '' as their legal entity (a primary key cannot hold NULL); NULLIF exposes it
 * as NULL, so `legalEntityId:null` finds B2C rows and no value ever matches one.
 */
export const customerAssignmentFields = makeResolver({
  columns: {
    'customer.id': { column: 'ca.customer_id', kind: 'string' },
    'legalEntity.id': { column: "NULLIF(ca.legal_entity_id, '')", kind: 'string' },
    assignmentType: { column: 'ca.assignment_type', kind: 'enum', enumValues: Object.values(AssignmentType) },
    'validity.from': { column: 'ca.validity_from', kind: 'instant' },
    'validity.to': { column: 'ca.validity_to', kind: 'instant' },
    'metadata.createdAt': { column: 'ca.created_at', kind: 'instant' },
    'metadata.modifiedAt': { column: 'ca.modified_at', kind: 'instant' },
    'metadata.version': { column: 'ca.version', kind: 'number' },
  },
  aliases: {
    customerId: 'customer.id',
    legalEntityId: 'legalEntity.id',
    metadataCreatedAt: 'metadata.createdAt',
    metadataModifiedAt: 'metadata.modifiedAt',
  },
  json: { mixins: 'ca.mixins', 'metadata.mixins': 'ca.metadata_mixins' },
});

export interface CustomerAssignmentFilter {
  where?: readonly Sql[];
  /** Only this customer's own assignments (segment_read_own): B2C ones, and B2B ones for the legal entity when given. */
  own?: Membership;
}

/** Whether the filter keeps every assignment of a segment: its counter is then the count. */
export function keepsEveryAssignment(f: CustomerAssignmentFilter): boolean {
  return !f.own && !f.where?.length;
}

/** A key with the segment it belongs to: what the by-key loader is asked for. */
export interface SegmentAssignmentKey extends CustomerAssignmentKey {
  segmentId: string;
}

interface CustomerAssignmentRow {
  tenant: string;
  segment_id: string;
  customer_id: string;
  legal_entity_id: string;
  assignment_type: string;
  mixins: string | null;
  metadata_mixins: string | null;
  validity_from: number | string | null;
  validity_to: number | string | null;
  version: number | string;
  created_at: number | string;
  modified_at: number | string;
}

export function toCustomerAssignmentRecord(row: CustomerAssignmentRow): CustomerAssignmentRecord {
  return {
    tenant: row.tenant,
    segmentId: row.segment_id,
    customerId: row.customer_id,
    legalEntityId: row.legal_entity_id === '' ? null : row.legal_entity_id,
    assignmentType: row.assignment_type as AssignmentType,
    mixins: parseJson(row.mixins),
    validity: toValidity(row),
    metadata: toMetadata(row),
  };
}

const TABLE = 'customer_assignments';
const PRIMARY_KEY = ['tenant', 'segment_id', 'customer_id', 'legal_entity_id'];
const MUTABLE = ['assignment_type', 'mixins', 'metadata_mixins', 'validity_from', 'validity_to', 'version', 'modified_at'];
/** docs/behaviour.md: without `sort`, creation time; the rest of the key makes paging stable. */
const TIEBREAK = ['ca.created_at', 'ca.customer_id', 'ca.legal_entity_id'];

/**
 * `((customer_id = ? AND legal_entity_id = ?) OR …)`: one group per key, so the primary key
 * serves each. `prefix` is the table alias ('' for DELETE, which takes no alias on MariaDB).
 */
function whereKeys(
  qb: Knex.QueryBuilder,
  keys: readonly (CustomerAssignmentKey & { segmentId?: string })[],
  prefix: 'ca.' | '',
): void {
  qb.where((w) => {
    for (const k of keys) {
      const group: Record<string, string> = {
        [`${prefix}customer_id`]: k.customerId,
        [`${prefix}legal_entity_id`]: k.legalEntityId ?? '',
      };
      if (k.segmentId !== undefined) group[`${prefix}segment_id`] = k.segmentId;
      w.orWhere(group);
    }
  });
}

/** The stored state an upsert needs, read and locked in one statement. */
interface WriteState {
  segmentExists: boolean;
  /** The segment has a customer rule: its members may have exclusions. */
  ruled: boolean;
  stored: Map<string, { version: number; createdAt: number }>;
}

const EXCLUSIONS = 'customer_exclusions';

export class CustomerAssignmentRepository {
  constructor(
    protected readonly db: Database,
    protected readonly segments: SegmentRepository,
  ) {}

  /** Batch function of the by-key loader: one query, results in key order, misses null. */
  async findByKeys(tenant: string, keys: readonly SegmentAssignmentKey[]): Promise<(CustomerAssignmentRecord | null)[]> {
    if (!keys.length) return [];
    const qb = this.db.knex(`${TABLE} as ca`).where('ca.tenant', tenant);
    whereKeys(qb, keys, 'ca.');
    const rows: CustomerAssignmentRow[] = await qb.select('ca.*');
    const byKey = new Map(rows.map((r) => [keyString(r.segment_id, rowKey(r)), toCustomerAssignmentRecord(r)]));
    return keys.map((k) => byKey.get(keyString(k.segmentId, k)) ?? null);
  }

  /**
   * One page, as a deferred join: the page's keys come from the index that holds the segment's
   * default order and the key (cust_assign_tenant_segment_page), so OFFSET skips index entries,
   * not rows; only the page's rows are read in full. Same order, same OFFSET semantics; a page
   * nearer the end of an unfiltered list is counted from the end (segmentPageRead).
   */
  async list(
    tenant: string,
    segmentId: string,
    filter: CustomerAssignmentFilter,
    sort: SortKey[],
    paging: Paging,
  ): Promise<CustomerAssignmentRecord[]> {
    const whole = keepsEveryAssignment(filter) ? { segmentId, counter: 'customer_count' as const } : undefined;
    const read = await segmentPageRead(this.db.knex, tenant, paging, whole);
    if (!read) return [];
    const keys = this.filtered(tenant, [segmentId], filter).select(PRIMARY_KEY.map((c) => `ca.${c}`));
    // A page near the end is cut from the reversed order; the join below puts it back in order.
    applySort(keys, sort, TIEBREAK, read.reversed);
    keys.limit(read.limit).offset(read.offset);
    const qb = this.db.knex
      .select('ca.*')
      .from(keys.as('k'))
      .join(`${TABLE} as ca`, (j) => {
        for (const c of PRIMARY_KEY) j.on(`ca.${c}`, '=', `k.${c}`);
      });
    applySort(qb, sort, TIEBREAK);
    const rows: CustomerAssignmentRow[] = await qb;
    return rows.map(toCustomerAssignmentRecord);
  }

  async count(tenant: string, segmentId: string, filter: CustomerAssignmentFilter): Promise<number> {
    const [n] = await this.countForSegments(tenant, [segmentId], filter);
    return n;
  }

  /**
   * One page per segment for any number of segments, in one statement: a UNION ALL of one
   * `SELECT … WHERE segment_id = ? ORDER BY … LIMIT n OFFSET m` per segment, so each segment
   * reads its page from the index and nothing else — the work grows with the page, not with
   * the segments' sizes (a ROW_NUMBER() window numbered every member first). The arms come back
   * in sequence, each in its own order (unionOfPages). Results in key order; a segment without
   * matches gets [].
   */
  async listForSegments(
    tenant: string,
    segmentIds: readonly string[],
    filter: CustomerAssignmentFilter,
    sort: SortKey[],
    paging: Paging,
  ): Promise<CustomerAssignmentRecord[][]> {
    const bySegment = new Map<string, CustomerAssignmentRecord[]>(segmentIds.map((id) => [id, []]));
    for (const ids of armChunks(segmentIds)) {
      const arms = ids.map((id) => {
        const arm = this.filtered(tenant, [id], filter).select('ca.*');
        applySort(arm, sort, TIEBREAK);
        return arm.limit(paging.pageSize).offset(paging.offset);
      });
      const rows: CustomerAssignmentRow[] = await unionOfPages(this.db.knex, this.db.dialect, arms);
      for (const row of rows) bySegment.get(row.segment_id)?.push(toCustomerAssignmentRecord(row));
    }
    return segmentIds.map((id) => bySegment.get(id) ?? []);
  }

  /**
   * Matches per segment, for any number of segments in one statement; key order, 0 for none.
   * Unfiltered: the counters; filtered: one GROUP BY.
   */
  async countForSegments(tenant: string, segmentIds: readonly string[], filter: CustomerAssignmentFilter): Promise<number[]> {
    if (!segmentIds.length) return [];
    // Every assignment: the segment's counter (migrations/007), one row per segment.
    if (keepsEveryAssignment(filter)) return segmentCounters(this.db.knex, tenant, segmentIds, 'customer_count');
    const rows = (await this.filtered(tenant, segmentIds, filter)
      .select('ca.segment_id')
      .count({ n: '*' })
      .groupBy('ca.segment_id')) as { segment_id: string; n: number | string }[];
    const bySegment = new Map(rows.map((r) => [r.segment_id, toInt(r.n)]));
    return segmentIds.map((id) => bySegment.get(id) ?? 0);
  }

  private filtered(tenant: string, segmentIds: readonly string[], f: CustomerAssignmentFilter): Knex.QueryBuilder {
    const qb = this.db.knex(`${TABLE} as ca`).where('ca.tenant', tenant);
    if (segmentIds.length === 1) qb.where('ca.segment_id', segmentIds[0]);
    else qb.whereIn('ca.segment_id', segmentIds as string[]);
    if (f.own) {
      qb.where('ca.customer_id', f.own.customerId);
      if (f.own.legalEntityId !== undefined) qb.whereIn('ca.legal_entity_id', ['', f.own.legalEntityId]);
      // The caller's own memberships are what it gets: only those valid now (time-bound).
      if (f.own.at !== undefined) validAt(qb, 'ca', f.own.at);
    }
    if (f.where?.length) applyWhere(qb, f.where);
    return qb;
  }

  /** PUT semantics: create when missing (version ignored), else replace with the version check. 404 without the segment. */
  async upsert(
    tenant: string,
    segmentId: string,
    draft: CustomerAssignmentDraft,
  ): Promise<{ created: boolean; assignment: CustomerAssignmentRecord }> {
    return withTransaction(this.db, async (trx) => {
      const { outcomes, rows } = await this.write(trx, tenant, segmentId, [draft]);
      const [outcome] = outcomes;
      if (outcome.code === 409) throw new ConflictError(MSG_CHANGED, draft.customerId);
      return { created: outcome.code === 201, assignment: toCustomerAssignmentRecord(rows[0]) };
    });
  }

  /**
   * Bulk upsert: one read of the segment and the stored versions, then one multi-row INSERT …
   * ON CONFLICT MERGE for creations and updates together. Elements that already failed
   * validation arrive as outcomes and pass through. A key repeated in the request is 409: the
   * element after the first would race against it.
   */
  async upsertMany(tenant: string, segmentId: string, drafts: (CustomerAssignmentDraft | BulkOutcome)[]): Promise<BulkOutcome[]> {
    return withTransaction(this.db, async (trx) => (await this.write(trx, tenant, segmentId, drafts)).outcomes);
  }

  private async write(
    trx: Knex.Transaction,
    tenant: string,
    segmentId: string,
    drafts: (CustomerAssignmentDraft | BulkOutcome)[],
  ): Promise<{ outcomes: BulkOutcome[]; rows: CustomerAssignmentRow[] }> {
    const valid = drafts.filter((d): d is CustomerAssignmentDraft => !isOutcome(d));
    const state = await this.writeState(trx, tenant, segmentId, valid);
    if (!state.segmentExists) throw notFound(segmentId);
    const now = Date.now();
    const seen = new Set<string>();
    const rows: CustomerAssignmentRow[] = [];
    const outcomes = drafts.map((d) => {
      if (isOutcome(d)) return d;
      const key = keyString(segmentId, d);
      if (seen.has(key)) return bulkError(409, 'The assignment appears more than once in this request.');
      seen.add(key);
      const stored = state.stored.get(key);
      if (stored && d.expectedVersion !== undefined && d.expectedVersion !== stored.version) {
        return bulkError(409, MSG_CHANGED);
      }
      rows.push({
        tenant,
        segment_id: segmentId,
        customer_id: d.customerId,
        legal_entity_id: d.legalEntityId ?? '',
        // docs/behaviour.md: whatever the API writes is MANUAL; AUTOMATIC is the service's own.
        assignment_type: AssignmentType.MANUAL,
        mixins: jsonOrNull(d.mixins),
        metadata_mixins: jsonOrNull(d.metadataMixins),
        validity_from: d.validityFrom,
        validity_to: d.validityTo,
        version: stored ? stored.version + 1 : 1,
        created_at: stored ? stored.createdAt : now,
        modified_at: now,
      });
      return bulkOk(stored ? 204 : 201);
    });
    // The locking read above holds the segment row, so writers of one segment take turns and
    // the versions read are the ones replaced (the import and deletes lock the segment too).
    if (rows.length) await trx(TABLE).insert(byKey(rows)).onConflict(PRIMARY_KEY).merge(MUTABLE);
    // A member put back by hand is a manual include: the exclusion that kept the rule from
    // adding it goes (README "Segment rules").
    if (rows.length && state.ruled) {
      const qb = trx(EXCLUSIONS).where({ tenant, segment_id: segmentId });
      whereKeys(qb, rows.map(rowKey), '');
      await qb.delete();
    }
    return { outcomes, rows };
  }

  /**
   * Whether the segment exists, and the stored version of each key, in one locking read: the
   * segment row LEFT JOIN the assignments with those keys. No row at all = no segment.
   */
  private async writeState(
    trx: Knex.Transaction,
    tenant: string,
    segmentId: string,
    keys: readonly CustomerAssignmentKey[],
  ): Promise<WriteState> {
    const groups = keys.map(() => '(ca.customer_id = ? AND ca.legal_entity_id = ?)');
    const bindings = keys.flatMap((k) => [k.customerId, k.legalEntityId ?? '']);
    const rows: {
      customer_id: string | null;
      legal_entity_id: string | null;
      version: unknown;
      created_at: unknown;
      customer_rule: string | null;
    }[] = await trx('segments as s')
      .select('ca.customer_id', 'ca.legal_entity_id', 'ca.version', 'ca.created_at', 's.customer_rule')
      .joinRaw(
        `LEFT JOIN ${TABLE} ca ON ca.tenant = s.tenant AND ca.segment_id = s.id AND (${groups.length ? groups.join(' OR ') : '1 = 0'})`,
        bindings,
      )
      .where('s.tenant', tenant)
      .where('s.id', segmentId)
      .forUpdate();
    const stored = new Map<string, { version: number; createdAt: number }>();
    for (const r of rows) {
      if (r.customer_id === null || r.legal_entity_id === null) continue;
      const key = keyString(segmentId, { customerId: r.customer_id, legalEntityId: r.legal_entity_id || null });
      stored.set(key, { version: toInt(r.version), createdAt: toInt(r.created_at) });
    }
    return { segmentExists: rows.length > 0, ruled: !!rows[0]?.customer_rule, stored };
  }

  /** DELETE is idempotent: a missing assignment (or segment) is fine. */
  async delete(tenant: string, segmentId: string, key: CustomerAssignmentKey): Promise<void> {
    await this.deleteMany(tenant, segmentId, [key]);
  }

  /**
   * One DELETE for all the keys; every valid element is 204, whether or not it existed. Like
   * every assignment writer it locks the segment row first, so locks are always taken segment
   * first, then rows. Exclusively: the delete trigger updates the segment's counter
   * (migrations/007), and two shared locks both upgrading to write it would deadlock.
   */
  async deleteMany(tenant: string, segmentId: string, input: (CustomerAssignmentKey | BulkOutcome)[]): Promise<BulkOutcome[]> {
    const keys = input.filter((k): k is CustomerAssignmentKey => !isOutcome(k));
    if (keys.length) {
      await withTransaction(this.db, async (trx) => {
        const segment: { customer_rule: string | null } | undefined = await trx('segments')
          .select('customer_rule')
          .where({ tenant, id: segmentId })
          .forUpdate()
          .first();
        const qb = trx(TABLE).where({ tenant, segment_id: segmentId });
        whereKeys(
          qb,
          keys.map((k) => ({ customerId: k.customerId, legalEntityId: k.legalEntityId })),
          '',
        );
        await qb.delete();
        // In a segment with a customer rule, a member removed by hand stays out: the rule must
        // not add it back (an exclusion, listed and removable).
        if (segment?.customer_rule) {
          const now = Date.now();
          const excluded = inLockOrder(
            [...new Map(keys.map((k) => [`${k.customerId}\u0000${k.legalEntityId ?? ''}`, k])).values()],
            (k) => `${k.customerId}\u0000${k.legalEntityId ?? ''}`,
          ).map((k) => ({
            tenant,
            segment_id: segmentId,
            customer_id: k.customerId,
            legal_entity_id: k.legalEntityId ?? '',
            created_at: now,
          }));
          await trx(EXCLUSIONS).insert(excluded).onConflict(PRIMARY_KEY).ignore();
        }
      });
    }
    return input.map((k) => (isOutcome(k) ? k : bulkOk(204)));
  }
}

const byKey = (rows: CustomerAssignmentRow[]): CustomerAssignmentRow[] =>
  inLockOrder(rows, (r) => `${r.customer_id}\u0000${r.legal_entity_id}`);

function rowKey(r: CustomerAssignmentRow): CustomerAssignmentKey {
  return { customerId: r.customer_id, legalEntityId: r.legal_entity_id === '' ? null : r.legal_entity_id };
}

function isOutcome(d: unknown): d is BulkOutcome {
  return typeof d === 'object' && d !== null && 'code' in d && 'status' in d;
}
