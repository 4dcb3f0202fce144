/**
 * The NDJSON import while the API takes writes to the same tenant (issue 8): the API answers
 * as documented (never a 5xx), the import rejects nothing, and afterwards every imported row
 * and every API-written row is there — with assignment versions counting every write of both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateImport } from '../../scripts/gen-import';
import { runImport } from '../../src/import/import';
import { startTestApp, type TestApp } from '../helpers/app';
import { countRows, report } from '../helpers/concurrency';
import { UPSERT_CATEGORIES, UPSERT_CUSTOMERS, UPSERT_PRODUCTS } from '../catalog/fixtures';

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-concurrency-'));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const pad = (n: number): string => String(n).padStart(6, '0');

interface Call {
  what: string;
  /** HTTP status, or for GraphQL what REST would have answered (500 for an internal error). */
  status: number;
  ok: boolean;
  /** Assignment key this call wrote, when it succeeded. */
  keys: string[];
}

test('an import of 3,000 lines while the API writes the same segments, assignments and categories', async () => {
  for (const id of ['imp-a', 'imp-b']) {
    expect((await t.rest('PUT', `/segments/${id}`, { body: { name: { en: id }, siteCode: 'main' } })).statusCode).toBe(201);
  }
  const file = path.join(dir, 'import.ndjson');
  await generateImport({ lines: 3000, segments: ['imp-a', 'imp-b'], out: file, seed: 11 });
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, string>);
  const ids = (kind: string) => lines.filter((l) => l.kind === kind).map((l) => l.id);
  const caKey = (seg: string, c: string, le?: string | null) => `ca|${seg}|${c}|${le ?? ''}`;
  const iaKey = (seg: string, type: string, item: string) => `ia|${seg}|${type}|${item}`;
  // Writes per assignment key: one by the import, plus every successful API write.
  const writes = new Map<string, number>();
  const wrote = (key: string) => writes.set(key, (writes.get(key) ?? 0) + 1);
  for (const l of lines) {
    if (l.kind === 'customerAssignment') wrote(caKey(l.segmentId, l.customerId, l.legalEntityId));
    if (l.kind === 'itemAssignment') wrote(iaKey(l.segmentId, l.type, l.itemId));
  }

  let done = false;
  const importing = runImport({ db: t.db, tenant: 'acme', files: [file], batchSize: 200 }).finally(() => {
    done = true;
  });
  const calls: Call[] = [];
  const rest = async (what: string, method: 'PUT' | 'DELETE', url: string, body: unknown, keys: string[] = []) => {
    const res = await t.rest(method, url, { body });
    const ok = [201, 204, 207].includes(res.statusCode);
    const elementsOk = res.statusCode !== 207 || (res.json() as { code: number }[]).every((e) => e.code < 300);
    calls.push({
      what: `${what} → ${res.statusCode}`,
      status: res.statusCode,
      ok: ok && elementsOk,
      keys: ok && elementsOk ? keys : [],
    });
  };
  const gql = async (what: string, query: string, input: unknown) => {
    const res = await t.gql(query, { input });
    const status = res.errors ? (res.errors[0].extensions?.code === 'INTERNAL_SERVER_ERROR' ? 500 : 400) : res.status;
    calls.push({ what: `${what} → ${JSON.stringify(res.errors ?? res.status)}`, status, ok: status === 200, keys: [] });
  };
  const apiCategories: string[] = [];
  const apiCustomers: string[] = [];
  for (let w = 0; !done || w < 5; w++) {
    const c = `cus-${pad(w % 40)}`;
    const p = `prd-${pad(w % 40)}`;
    apiCategories.push(`api-cat-${w}`);
    apiCustomers.push(`api-cus-${w}`);
    await Promise.all([
      rest('segment', 'PUT', '/segments/imp-a', { name: { en: `a${w}` }, siteCode: 'main' }),
      rest('customer', 'PUT', `/segments/imp-a/customers/${c}`, { mixins: { w } }, [caKey('imp-a', c)]),
      rest('customer', 'PUT', `/segments/imp-b/customers/api-c${w}`, {}, [caKey('imp-b', `api-c${w}`)]),
      rest(
        'customers bulk',
        'PUT',
        '/segments/imp-b/customers/bulk',
        [{ customerId: c }, { customerId: `api-b${w}`, legalEntityId: 'le-000000' }],
        [caKey('imp-b', c), caKey('imp-b', `api-b${w}`, 'le-000000')],
      ),
      rest('item', 'PUT', `/segments/imp-b/items/PRODUCT/${p}`, {}, [iaKey('imp-b', 'PRODUCT', p)]),
      rest(
        'items bulk',
        'PUT',
        '/segments/imp-a/items/PRODUCT/bulk',
        [{ id: p }, { id: `api-p${w}` }],
        [iaKey('imp-a', 'PRODUCT', p), iaKey('imp-a', 'PRODUCT', `api-p${w}`)],
      ),
      rest('item delete', 'DELETE', `/segments/imp-a/items/CATEGORY/never-${w}`, undefined),
      gql('categories', UPSERT_CATEGORIES, [
        { id: `cat-${pad(w % 20)}`, parentId: null },
        { id: `api-cat-${w}`, parentId: `cat-${pad(w % 20)}` },
      ]),
      gql('customers', UPSERT_CUSTOMERS, [
        { id: c, legalEntityIds: ['le-000001'] },
        { id: `api-cus-${w}`, legalEntityIds: ['le-000002'] },
      ]),
      gql('products', UPSERT_PRODUCTS, [{ id: p, categoryIds: [`cat-${pad(w % 20)}`] }]),
    ]);
  }
  const summary = await importing.catch((e: unknown) => ({ failed: String(e) }));
  report(
    `API writes during a ${lines.length}-line import`,
    calls.map((c) => c.status),
    {
      waves: calls.length / 10,
      import: 'failed' in summary ? summary.failed : { written: summary.written, rejected: summary.rejected },
    },
  );

  expect(calls.filter((c) => !c.ok).map((c) => c.what)).toEqual([]);
  for (const c of calls) for (const k of c.keys) wrote(k);
  expect(summary).toMatchObject({ read: lines.length, written: lines.length, rejected: 0 });

  const present = async (table: string, wanted: string[]) =>
    (await t.db.knex(table).where('tenant', 'acme').whereIn('id', wanted).count({ n: '*' }))[0].n;
  expect(Number(await present('customers', [...ids('customer'), ...apiCustomers]))).toBe(
    ids('customer').length + apiCustomers.length,
  );
  expect(Number(await present('legal_entities', ids('legalEntity')))).toBe(ids('legalEntity').length);
  expect(Number(await present('products', ids('product')))).toBe(ids('product').length);
  expect(Number(await present('categories', [...ids('category'), ...apiCategories]))).toBe(
    ids('category').length + apiCategories.length,
  );

  // Every assignment written by either side is there, and its version counts every write.
  const stored = new Map<string, number>();
  for (const r of await t.db.knex('customer_assignments').where('tenant', 'acme')) {
    stored.set(caKey(r.segment_id, r.customer_id, r.legal_entity_id), Number(r.version));
  }
  for (const r of await t.db.knex('item_assignments').where('tenant', 'acme')) {
    stored.set(iaKey(r.segment_id, r.type, r.item_id), Number(r.version));
  }
  const mismatches = [...writes].filter(([key, n]) => stored.get(key) !== n);
  expect(mismatches).toEqual([]);
  expect(stored.size).toBe(writes.size);
  expect(await countRows(t.db, 'segments')).toBe(2);
});
