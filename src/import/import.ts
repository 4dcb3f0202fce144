import fs from 'node:fs';
import readline from 'node:readline';
import type { Knex } from 'knex';
import type { Database } from '../db/knex';
import { withTransaction } from '../db/transaction';
import { BadInputError } from '../errors';
import { RuleEvaluator } from '../modules/rules/rule.evaluator';
import { CatalogRepository } from '../modules/catalog/catalog.repository';
import { SegmentRepository } from '../modules/segments/segment.repository';
import type { WriteLanguage } from '../modules/segments/segment.validation';
import { type ImportEntity, type ImportKind, KINDS, parseLine } from './import.lines';
import { ImportRepository } from './import.repository';

export interface ImportOptions {
  db: Database;
  tenant: string;
  files: readonly string[];
  /** Lines of one kind written per transaction (default 1000). */
  batchSize?: number;
  /** For localized fields given as plain strings. */
  lang?: WriteLanguage;
  /** Called at most every `progressEveryMs` while reading, and once at the end. */
  onProgress?: (p: ImportProgress) => void;
  progressEveryMs?: number;
  /** Called for each rejected line, as soon as it is known. */
  onReject?: (r: Rejection) => void;
}

export interface Rejection {
  file: string;
  line: number;
  reason: string;
}

export interface ImportProgress {
  /** Non-blank lines read so far. */
  read: number;
  /** Lines whose entity is in the database. */
  written: number;
  rejected: number;
  elapsedMs: number;
  /** Lines read per second so far. */
  rate: number;
}

export interface ImportSummary extends ImportProgress {
  byKind: Record<ImportKind, number>;
  /** The first MAX_KEPT_REJECTIONS rejections (all of them go to onReject). */
  rejections: Rejection[];
}

const DEFAULT_BATCH = 1000;
/** Batches on MySQL/MariaDB at once (import.ts flush). */
const MAX_IN_FLIGHT = 2;
const MAX_KEPT_REJECTIONS = 1000;

/** What one batch's transaction decided; applied to the summary after it commits. */
interface BatchOutcome {
  written: number;
  rejected: Rejection[];
}

interface Pending<E extends ImportEntity = ImportEntity> {
  file: string;
  line: number;
  entity: E;
}

type PendingOf<K extends ImportKind> = Pending<Extract<ImportEntity, { kind: K }>>;

/**
 * Streams NDJSON files into the reference store and the assignment tables of one tenant.
 *
 * Lines are read one at a time (readline over a read stream; a file is never held whole),
 * validated by the rules the GraphQL mutations use, and buffered per kind. A full buffer is
 * written in one transaction of multi-row statements. A line that fails validation — or names
 * a segment the tenant lacks, or would make a category its own ancestor — is reported with its
 * file and line number and skipped; the rest goes on. A batch that meets a deadlock or lock
 * wait (the API writing the same rows) runs again; other database errors are fatal (thrown).
 */
export async function runImport(opts: ImportOptions): Promise<ImportSummary> {
  const { db, tenant } = opts;
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const lang = opts.lang ?? { defaultLanguage: 'en' };
  // Rule segments see what the import writes: each batch re-evaluates the reference rows it changed.
  const rules = new RuleEvaluator(db);
  const catalog = new CatalogRepository(db, new SegmentRepository(db, false), rules);
  const assignments = new ImportRepository(db);
  const started = Date.now();
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ImportKind, number>;
  const rejections: Rejection[] = [];
  const buffers = new Map<ImportKind, Pending[]>(KINDS.map((k) => [k, []]));
  let read = 0;
  let written = 0;
  let rejected = 0;

  const progress = (): ImportProgress => {
    const elapsedMs = Date.now() - started;
    return { read, written, rejected, elapsedMs, rate: elapsedMs > 0 ? Math.round((read * 1000) / elapsedMs) : read };
  };
  const reject = (file: string, line: number, reason: string): void => {
    rejected++;
    const r = { file, line, reason };
    if (rejections.length < MAX_KEPT_REJECTIONS) rejections.push(r);
    opts.onReject?.(r);
  };
  const accepted = (kind: ImportKind, n: number): void => {
    written += n;
    byKind[kind] += n;
  };

  /**
   * Writes one kind's buffer in one transaction, through the same helper as the API's writes:
   * READ COMMITTED, locks in the API's order, and the whole batch run again on a deadlock or
   * lock-wait timeout. The transaction only decides; its outcome (counts, rejected lines) is
   * applied after commit, so a batch that runs twice reports once.
   */
  /**
   * Batches on the database while the next ones are read and validated (the parser and the
   * database take turns on the CPU instead of waiting for each other). On MySQL/MariaDB up to
   * MAX_IN_FLIGHT at once, each on its own connection; SQLite has one writer: one at a time.
   * A batch waits for every batch in flight that it must follow, so the outcome is the one of
   * writing the file in order:
   *
   * - same kind, a key in common: the later line wins, so the later batch waits;
   * - two reference kinds: one after the other (a customer's rule evaluation reads legal
   *   entities, a product's reads categories; categories take the tree lock anyway);
   * - an assignment batch and anything else with no key in common: they run side by side.
   *   Assignment lines write only their own table and trigger no evaluation, and a reference
   *   write's evaluation leaves a MANUAL row MANUAL whichever commits first.
   */
  const maxInFlight = db.dialect === 'mysql' ? MAX_IN_FLIGHT : 1;
  interface Flight {
    kind: ImportKind;
    keys: Set<string>;
    done: Promise<void>;
  }
  const flights = new Set<Flight>();
  let failure: { error: unknown } | undefined;
  const mustFollow = (kind: ImportKind, keys: Set<string>, f: Flight): boolean => {
    if (f.kind === kind) {
      if (kind === 'category') return true;
      for (const k of keys) if (f.keys.has(k)) return true;
      return false;
    }
    return !isAssignment(kind) && !isAssignment(f.kind);
  };
  const settled = (list: Iterable<Flight>): Promise<unknown> => Promise.race([...list].map((f) => f.done.catch(() => undefined)));
  const flush = async (kind: ImportKind): Promise<void> => {
    const batch = buffers.get(kind) as Pending[];
    if (!batch.length) return;
    buffers.set(kind, []);
    const keys = new Set(batch.map((p) => keyOf(p.entity)));
    for (;;) {
      if (failure) throw failure.error;
      const blockers = [...flights].filter((f) => mustFollow(kind, keys, f));
      if (blockers.length) await settled(blockers);
      else if (flights.size >= maxInFlight) await settled(flights);
      else break;
    }
    const flight: Flight = { kind, keys, done: Promise.resolve() };
    flight.done = withTransaction(db, (trx) => writeBatch(trx, kind, batch)).then(
      (outcome) => {
        flights.delete(flight);
        for (const p of outcome.rejected) reject(p.file, p.line, p.reason);
        accepted(kind, outcome.written);
      },
      (error: unknown) => {
        flights.delete(flight);
        failure ??= { error };
        throw error;
      },
    );
    // Its failure surfaces at the next flush or at the end, whichever comes first.
    flight.done.catch(() => undefined);
    flights.add(flight);
  };
  const drain = async (): Promise<void> => {
    while (flights.size) await settled(flights);
    if (failure) throw failure.error;
  };

  const writeBatch = async (trx: Knex.Transaction, kind: ImportKind, batch: Pending[]): Promise<BatchOutcome> => {
    switch (kind) {
      case 'customer': {
        const list = lastPerKey(batch as PendingOf<'customer'>[], (e) => e.draft.id);
        await catalog.upsertCustomers(
          tenant,
          list.map((p) => p.entity.draft),
          { trx },
        );
        return { written: batch.length, rejected: [] };
      }
      case 'legalEntity': {
        const list = lastPerKey(batch as PendingOf<'legalEntity'>[], (e) => e.draft.id);
        await catalog.upsertLegalEntities(
          tenant,
          list.map((p) => p.entity.draft),
          { trx },
        );
        return { written: batch.length, rejected: [] };
      }
      case 'product': {
        const list = lastPerKey(batch as PendingOf<'product'>[], (e) => e.draft.id);
        await catalog.upsertProducts(
          tenant,
          list.map((p) => p.entity.draft),
          { trx },
        );
        return { written: batch.length, rejected: [] };
      }
      case 'category': {
        const list = lastPerKey(batch as PendingOf<'category'>[], (e) => e.draft.id);
        // Under the tenant's category-tree lock, like the mutations: no cycle across writers.
        const { cyclic } = await catalog.upsertCategories(
          tenant,
          list.map((p) => p.entity.draft),
          { trx },
        );
        // Every line of a refused id is rejected (earlier ones were superseded by it, not written).
        const refused = new Set(cyclic.map((i) => (list[i] as PendingOf<'category'>).entity.draft.id));
        const rejected = (batch as PendingOf<'category'>[])
          .filter((p) => refused.has(p.entity.draft.id))
          .map((p) => ({ file: p.file, line: p.line, reason: 'parentId: the category would become its own ancestor' }));
        return { written: batch.length - rejected.length, rejected };
      }
      case 'customerAssignment': {
        const { ok, rejected } = await withKnownSegments(trx, batch as PendingOf<'customerAssignment'>[]);
        const list = lastPerKey(ok, keyOf);
        await assignments.upsertCustomerAssignments(
          trx,
          tenant,
          list.map((p) => p.entity.draft),
        );
        return { written: ok.length, rejected };
      }
      case 'itemAssignment': {
        const { ok, rejected } = await withKnownSegments(trx, batch as PendingOf<'itemAssignment'>[]);
        const list = lastPerKey(ok, keyOf);
        await assignments.upsertItemAssignments(
          trx,
          tenant,
          list.map((p) => p.entity.draft),
        );
        return { written: ok.length, rejected };
      }
    }
  };

  /**
   * Splits off the lines whose segment the tenant does not have: one query per batch, which also
   * holds the known segments (shared) until commit, as the API's assignment writers do.
   */
  const withKnownSegments = async <E extends Extract<ImportEntity, { draft: { segmentId: string } }>>(
    trx: Knex.Transaction,
    batch: Pending<E>[],
  ): Promise<{ ok: Pending<E>[]; rejected: Rejection[] }> => {
    const known = await assignments.lockSegments(trx, tenant, [...new Set(batch.map((p) => p.entity.draft.segmentId))]);
    const ok: Pending<E>[] = [];
    const rejected: Rejection[] = [];
    for (const p of batch) {
      if (known.has(p.entity.draft.segmentId)) ok.push(p);
      else
        rejected.push({
          file: p.file,
          line: p.line,
          reason: `segmentId: no segment ${p.entity.draft.segmentId} in tenant ${tenant}`,
        });
    }
    return { ok, rejected };
  };

  const every = opts.progressEveryMs ?? 1000;
  let lastReport = started;
  try {
    for (const file of opts.files) {
      const input = fs.createReadStream(file, { encoding: 'utf8' });
      const lines = readline.createInterface({ input, crlfDelay: Infinity });
      let lineNo = 0;
      try {
        for await (const text of lines) {
          lineNo++;
          if (text.trim() === '') continue;
          read++;
          let entity: ImportEntity;
          try {
            entity = parseLine(lineNo === 1 ? stripBom(text) : text, lang);
          } catch (e) {
            if (!(e instanceof BadInputError)) throw e;
            reject(file, lineNo, e.message);
            continue;
          }
          const buffer = buffers.get(entity.kind) as Pending[];
          buffer.push({ file, line: lineNo, entity });
          if (buffer.length >= batchSize) await flush(entity.kind);
          if (opts.onProgress && Date.now() - lastReport >= every) {
            lastReport = Date.now();
            opts.onProgress(progress());
          }
        }
      } finally {
        lines.close();
        input.destroy();
      }
    }
    for (const kind of KINDS) await flush(kind);
    await drain();
  } catch (e) {
    // A fatal error while a batch is on the database: let that batch end before answering.
    await Promise.allSettled([...flights].map((f) => f.done));
    throw e;
  }
  // A changed category tree can change what whole subtrees match: such item rules run once, now.
  if (byKind.category > 0) await rules.evaluateCategoryRules(tenant);
  const summary = { ...progress(), byKind, rejections };
  opts.onProgress?.(summary);
  return summary;
}

const isAssignment = (kind: ImportKind): boolean => kind === 'customerAssignment' || kind === 'itemAssignment';

/** What identifies the row (or owner of rows) a line writes: the key of lastPerKey. */
function keyOf(e: ImportEntity): string {
  switch (e.kind) {
    case 'customerAssignment':
      return `${e.draft.segmentId}\u0000${e.draft.customerId}\u0000${e.draft.legalEntityId ?? ''}`;
    case 'itemAssignment':
      return `${e.draft.segmentId}\u0000${e.draft.type}\u0000${e.draft.itemId}`;
    default:
      return e.draft.id;
  }
}

/**
 * The last line of each key wins within a batch, as it would line by line; one row per key
 * keeps a multi-row statement free of self-conflicts and link tables free of duplicates.
 */
function lastPerKey<E extends ImportEntity>(batch: Pending<E>[], key: (e: E) => string): Pending<E>[] {
  const byKey = new Map<string, Pending<E>>();
  for (const p of batch) {
    const k = key(p.entity);
    byKey.delete(k); // re-insert so the order follows the last occurrence
    byKey.set(k, p);
  }
  return [...byKey.values()];
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
