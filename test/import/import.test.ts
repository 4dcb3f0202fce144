import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withQueryCount } from '../../src/db/query-counter';
import { runImport } from '../../src/import/import';
import { generateImport } from '../../scripts/gen-import';
import { startTestApp, type TestApp } from '../helpers/app';
import { createSegment, ok } from '../catalog/fixtures';

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-test-'));
  for (const id of ['imp-s1', 'imp-s2', 'imp-s3']) await createSegment(t, id);
  await createSegment(t, 'other-tenant-seg', { token: await t.token({ tenant: 'globex' }) });
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const writeFile = (name: string, lines: (string | object)[]): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
};
const rows = (table: string, where: Record<string, unknown> = {}) => t.db.knex(table).where({ tenant: 'acme', ...where });

test('mixed kinds land in the store and are readable over GraphQL', async () => {
  const file = writeFile('mixed.ndjson', [
    { kind: 'customerAssignment', segmentId: 'imp-s1', customerId: 'i-c1' },
    { kind: 'customer', id: 'i-c1', firstName: 'Ada', email: 'ada@example.com', legalEntityIds: ['i-le1'] },
    { kind: 'legalEntity', id: 'i-le1', name: 'Acme Ltd' },
    { kind: 'category', id: 'i-cat2', parentId: 'i-cat1', name: 'Kind', code: 'K' },
    { kind: 'category', id: 'i-cat1', name: { en: 'Parent' } },
    { kind: 'product', id: 'i-p1', code: 'P1', name: { en: 'Chair' }, categoryIds: ['i-cat2'] },
    {
      kind: 'customerAssignment',
      segmentId: 'imp-s2',
      customerId: 'i-c1',
      legalEntityId: 'i-le1',
      mixins: { tier: 'gold' },
      metadata: { mixins: { tier: 'https://example.com/tier.json' } },
    },
    { kind: 'itemAssignment', segmentId: 'imp-s1', type: 'category', itemId: 'i-cat1' },
    { kind: 'itemAssignment', segmentId: 'imp-s3', type: 'PRODUCT', id: 'i-p1' },
  ]);
  const summary = await runImport({ db: t.db, tenant: 'acme', files: [file], lang: { defaultLanguage: 'de' } });
  expect(summary).toMatchObject({ read: 9, written: 9, rejected: 0 });
  expect(summary.byKind).toEqual({
    legalEntity: 1,
    customer: 1,
    category: 2,
    product: 1,
    customerAssignment: 2,
    itemAssignment: 2,
  });
  const data = await ok(
    t.gql(`{
      customer(id: "i-c1") { firstName email legalEntities { id name } segments { id } }
      product(id: "i-p1") { code name categories { id name parent { id name } } segments { id } }
    }`),
  );
  expect(data).toEqual({
    customer: {
      firstName: 'Ada',
      email: 'ada@example.com',
      legalEntities: [{ id: 'i-le1', name: 'Acme Ltd' }],
      segments: [{ id: 'imp-s1' }, { id: 'imp-s2' }],
    },
    product: {
      code: 'P1',
      name: { en: 'Chair' },
      // A plain-string name takes the import's language.
      categories: [{ id: 'i-cat2', name: { de: 'Kind' }, parent: { id: 'i-cat1', name: { en: 'Parent' } } }],
      segments: [{ id: 'imp-s1' }, { id: 'imp-s3' }],
    },
  });
  const b2b = await rows('customer_assignments', { segment_id: 'imp-s2' }).first();
  expect(b2b).toMatchObject({ legal_entity_id: 'i-le1', assignment_type: 'MANUAL', version: 1 });
  expect(JSON.parse(b2b.mixins)).toEqual({ tier: 'gold' });
  expect(JSON.parse(b2b.metadata_mixins)).toEqual({ tier: 'https://example.com/tier.json' });
  expect(await rows('item_assignments', { segment_id: 'imp-s1' }).first()).toMatchObject({ type: 'CATEGORY', item_id: 'i-cat1' });
});

test('rejected lines are reported with file and line number; the rest is written', async () => {
  const file = writeFile('bad.ndjson', [
    { kind: 'legalEntity', id: 'r-le1' }, // 1
    '{"kind": "customer", "id": ', // 2
    '', // 3: blank, skipped
    { kind: 'spaceship', id: 'x' }, // 4
    { kind: 'customer', id: 'r-c1', email: 'nope' }, // 5
    '[1, 2]', // 6
    { kind: 'customerAssignment', segmentId: 'no-such-segment', customerId: 'r-c1' }, // 7
    { kind: 'customerAssignment', segmentId: 'other-tenant-seg', customerId: 'r-c1' }, // 8
    { kind: 'itemAssignment', segmentId: 'imp-s1', type: 'BUNDLE', itemId: 'x' }, // 9
    { kind: 'category', id: 'r-a', parentId: 'r-b' }, // 10
    { kind: 'category', id: 'r-b', parentId: 'r-a' }, // 11
    { kind: 'category', id: 'r-ok', parentId: 'r-a' }, // 12: r-a's line is refused; r-ok waits for it
    { kind: 'customerAssignment', segmentId: 'imp-s1', customerId: 'r-c2', legalEntityId: '' }, // 13
    { kind: 'product', id: 'r-p1', name: { 'not a tag': 'x' } }, // 14
    { kind: 'customer', id: 'r-c3' }, // 15
  ]);
  const seen: string[] = [];
  const summary = await runImport({ db: t.db, tenant: 'acme', files: [file], onReject: (r) => seen.push(`${r.line}`) });
  expect(summary).toMatchObject({ read: 14, written: 3, rejected: 11 });
  const byLine = Object.fromEntries(summary.rejections.map((r) => [r.line, r.reason]));
  expect(summary.rejections.every((r) => r.file === file)).toBe(true);
  expect(
    Object.keys(byLine)
      .map(Number)
      .sort((a, b) => a - b),
  ).toEqual([2, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14]);
  expect(seen.sort()).toEqual(Object.keys(byLine).sort());
  expect(byLine[2]).toMatch(/not valid JSON/);
  expect(byLine[4]).toMatch(/^kind must be one of/);
  expect(byLine[5]).toMatch(/^email/);
  expect(byLine[6]).toMatch(/JSON object/);
  expect(byLine[7]).toMatch(/segmentId: no segment no-such-segment/);
  expect(byLine[8]).toMatch(/segmentId: no segment other-tenant-seg/);
  expect(byLine[9]).toMatch(/^type/);
  expect(byLine[10]).toMatch(/own ancestor/);
  expect(byLine[11]).toMatch(/own ancestor/);
  expect(byLine[13]).toMatch(/legalEntityId/);
  expect(byLine[14]).toMatch(/^name\.not a tag/);
  expect(await rows('customers', { id: 'r-c3' })).toHaveLength(1);
  expect(await rows('categories', { id: 'r-ok' })).toHaveLength(1);
  expect(await rows('categories').whereIn('id', ['r-a', 'r-b'])).toHaveLength(0);
  expect(await rows('customer_assignments', { customer_id: 'r-c1' })).toHaveLength(0);
});

test('batching: a 5,000-line file takes far fewer statements than lines', async () => {
  const file = path.join(dir, 'five-thousand.ndjson');
  const gen = await generateImport({ lines: 5000, segments: ['imp-s1', 'imp-s2'], out: file, seed: 7 });
  expect(gen.lines).toBe(5000);
  const { result, count } = await withQueryCount(() => runImport({ db: t.db, tenant: 'acme', files: [file], batchSize: 1000 }));
  expect(result).toMatchObject({ read: 5000, written: 5000, rejected: 0 });
  // Per batch: BEGIN, a few multi-row statements, COMMIT — about 60 in all on SQLite.
  expect(count).toBeLessThan(100);
  expect(count).toBeGreaterThan(10);
  const countLike = async (table: string, prefix: string) =>
    Number(((await rows(table).where('id', 'like', `${prefix}%`).count({ n: '*' }).first()) as { n: number | string }).n);
  expect(await countLike('customers', 'cus-')).toBe(gen.byKind.customer);
  expect(await countLike('products', 'prd-')).toBe(gen.byKind.product);
  expect(await countLike('categories', 'cat-')).toBe(gen.byKind.category);
});

test('re-importing the same file is idempotent except for assignment versions, which go up by one', async () => {
  const file = writeFile('again.ndjson', [
    { kind: 'customer', id: 'again-c', legalEntityIds: ['again-le'] },
    { kind: 'customerAssignment', segmentId: 'imp-s1', customerId: 'again-c' },
    { kind: 'customerAssignment', segmentId: 'imp-s1', customerId: 'again-c', legalEntityId: 'again-le' },
    { kind: 'itemAssignment', segmentId: 'imp-s2', type: 'PRODUCT', itemId: 'again-p' },
  ]);
  await runImport({ db: t.db, tenant: 'acme', files: [file] });
  const first = await rows('customer_assignments', { customer_id: 'again-c' }).orderBy('legal_entity_id');
  expect(first.map((r) => Number(r.version))).toEqual([1, 1]);
  await new Promise((r) => setTimeout(r, 5));
  await runImport({ db: t.db, tenant: 'acme', files: [file] });
  const second = await rows('customer_assignments', { customer_id: 'again-c' }).orderBy('legal_entity_id');
  expect(second.map((r) => Number(r.version))).toEqual([2, 2]);
  expect(second.map((r) => Number(r.created_at))).toEqual(first.map((r) => Number(r.created_at)));
  expect(Number(second[0].modified_at)).toBeGreaterThan(Number(first[0].modified_at));
  expect(second.every((r) => r.assignment_type === 'MANUAL')).toBe(true);
  const item = await rows('item_assignments', { item_id: 'again-p' });
  expect(item.map((r) => Number(r.version))).toEqual([2]);
  expect(await rows('customer_legal_entities', { customer_id: 'again-c' })).toHaveLength(1);
});

test('a key repeated within one batch is written once, last line winning', async () => {
  const file = writeFile('dupes.ndjson', [
    { kind: 'customer', id: 'dup-c', firstName: 'First', legalEntityIds: ['a'] },
    { kind: 'customer', id: 'dup-c', firstName: 'Second', legalEntityIds: ['b'] },
    { kind: 'itemAssignment', segmentId: 'imp-s3', type: 'PRODUCT', itemId: 'dup-p', mixins: { n: 1 } },
    { kind: 'itemAssignment', segmentId: 'imp-s3', type: 'PRODUCT', itemId: 'dup-p', mixins: { n: 2 } },
  ]);
  expect(await runImport({ db: t.db, tenant: 'acme', files: [file] })).toMatchObject({ written: 4, rejected: 0 });
  expect(await rows('customers', { id: 'dup-c' }).first()).toMatchObject({ first_name: 'Second' });
  expect((await rows('customer_legal_entities', { customer_id: 'dup-c' })).map((r) => r.legal_entity_id)).toEqual(['b']);
  const item = await rows('item_assignments', { item_id: 'dup-p' });
  expect(item).toHaveLength(1);
  expect(Number(item[0].version)).toBe(1);
  expect(JSON.parse(item[0].mixins)).toEqual({ n: 2 });
});

test('the import writes only into its tenant', async () => {
  const file = writeFile('tenant.ndjson', [{ kind: 'product', id: 'tenant-p', name: { en: 'Mine' } }]);
  await runImport({ db: t.db, tenant: 'globex', files: [file] });
  expect(await rows('products', { id: 'tenant-p' })).toHaveLength(0);
  expect(await t.db.knex('products').where({ tenant: 'globex', id: 'tenant-p' })).toHaveLength(1);
});

test('a key repeated across batches written side by side: the later line still wins', async () => {
  // Batches of two lines: with two on the database at once, the batch holding a key's later
  // line must wait for the one holding its earlier line; unrelated batches run beside it.
  const lines: object[] = [];
  for (let round = 1; round <= 3; round++) {
    lines.push({ kind: 'customer', id: 'x-c', firstName: `Round ${round}`, legalEntityIds: [`le-${round}`] });
    lines.push({ kind: 'customer', id: `x-other-${round}` });
    lines.push({ kind: 'itemAssignment', segmentId: 'imp-s1', type: 'PRODUCT', itemId: 'x-p', mixins: { round } });
    lines.push({ kind: 'itemAssignment', segmentId: 'imp-s1', type: 'PRODUCT', itemId: `x-p-${round}` });
    lines.push({ kind: 'customerAssignment', segmentId: 'imp-s2', customerId: 'x-c', mixins: { round } });
    lines.push({ kind: 'product', id: `x-prd-${round}`, categoryIds: [`x-cat-${round}`] });
  }
  const file = writeFile('across.ndjson', lines);
  expect(await runImport({ db: t.db, tenant: 'acme', files: [file], batchSize: 2 })).toMatchObject({
    written: lines.length,
    rejected: 0,
  });
  expect(await rows('customers', { id: 'x-c' }).first()).toMatchObject({ first_name: 'Round 3' });
  expect((await rows('customer_legal_entities', { customer_id: 'x-c' })).map((r) => r.legal_entity_id)).toEqual(['le-3']);
  const item = await rows('item_assignments', { item_id: 'x-p' });
  expect(item.map((r) => [JSON.parse(r.mixins), Number(r.version)])).toEqual([[{ round: 3 }, 3]]);
  // Rounds 1 and 2 share a batch (one row written), round 3 has the next one.
  const member = await rows('customer_assignments', { customer_id: 'x-c', segment_id: 'imp-s2' });
  expect(member.map((r) => [JSON.parse(r.mixins), Number(r.version)])).toEqual([[{ round: 3 }, 2]]);
  expect(await rows('product_categories').where('product_id', 'like', 'x-prd-%')).toHaveLength(3);
});
