import { migrateLatest } from '../../src/db/knex';
import { migrationSource } from '../../src/db/migration-source';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

/**
 * migrations/007_segment_counters: undone and done again over existing assignments, the
 * counters are backfilled from what is stored (including rows written while the triggers were
 * absent), and the triggers keep them from there. Both databases.
 */
let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(() => tdb.drop());

const row = (segment_id: string, customer_id: string) => ({
  tenant: 't',
  segment_id,
  customer_id,
  legal_entity_id: '',
  assignment_type: 'MANUAL',
  version: 1,
  created_at: 1,
  modified_at: 1,
});

async function counters(): Promise<Record<string, number[]>> {
  const rows: { id: string; customer_count: unknown; item_count: unknown }[] = await tdb.db
    .knex('segments')
    .select('id', 'customer_count', 'item_count')
    .where('tenant', 't')
    .orderBy('id');
  return Object.fromEntries(rows.map((r) => [r.id, [Number(r.customer_count), Number(r.item_count)]]));
}

test('down, writes without triggers, up again: backfilled exactly, then maintained', async () => {
  const k = tdb.db.knex;
  for (const id of ['s1', 's2']) {
    await k('segments').insert({
      tenant: 't',
      id,
      name: '{}',
      status: 'ACTIVE',
      site_code: 'm',
      version: 1,
      created_at: 1,
      modified_at: 1,
    });
  }
  await k('customer_assignments').insert([row('s1', 'a'), row('s1', 'b'), row('s2', 'a')]);
  expect(await counters()).toEqual({ s1: [2, 0], s2: [1, 0] });

  // Undo migrations down to and including 007 (later ones, e.g. 008, come off first).
  while (await k.schema.hasColumn('segments', 'customer_count')) await k.migrate.down({ migrationSource });
  expect(await k.schema.hasColumn('segments', 'customer_count')).toBe(false);
  await k('customer_assignments').insert([row('s1', 'c'), row('s2', 'b')]);
  await k('item_assignments').insert({
    tenant: 't',
    segment_id: 's2',
    type: 'PRODUCT',
    item_id: 'p',
    version: 1,
    created_at: 1,
    modified_at: 1,
  });

  await migrateLatest(tdb.db);
  expect(await counters()).toEqual({ s1: [3, 0], s2: [2, 1] });
  await k('customer_assignments').where({ tenant: 't', segment_id: 's1', customer_id: 'a' }).delete();
  expect(await counters()).toEqual({ s1: [2, 0], s2: [2, 1] });
});
