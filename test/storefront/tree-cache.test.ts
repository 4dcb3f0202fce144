import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Knex } from 'knex';
import { runImport } from '../../src/import/import';
import { readTenantVersion } from '../../src/db/tenant-version';
import { CategoryTreeCache } from '../../src/modules/storefront/tree-cache';
import { categoryNodeBody, type TreeNodeData } from '../../src/rest/bodies';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';

/**
 * Category trees are kept built (modules/storefront/tree-cache.ts) while the tenant's
 * `category-tree` version is the one they were built at and the instant asked lies where they
 * are exact. Over real HTTP: every write path that changes a tree changes the next answer and
 * its ETag, a rolled-back write changes neither, a kept tree never crosses tenants or segment
 * sets, and an injected clock crossing a validity bound changes the answer with no write.
 *
 *   c-root ── c-a ── c-a1
 *          └─ c-b
 *   c-other (root)
 */
type Json = Record<string, unknown>;
type Node = { id: string; isSegmentAssigned: boolean; subcategories?: Node[]; name?: Json };

const MAY = Date.parse('2026-05-15T00:00:00.000Z');
const JUNE_1 = '2026-06-01T00:00:00.000Z';
const JULY_1 = '2026-07-01T00:00:00.000Z';
let now = MAY;
let t: TestApp;
let base: string;
let categoryReads = 0;
const tokens: Record<string, string> = {};

const cat = (tenant: string, id: string, parent: string | null, position: number, en = id) => ({
  tenant,
  id,
  parent_id: parent,
  code: id,
  name: JSON.stringify({ en, de: `${en} (de)` }),
  description: null,
  slug: null,
  ecn: null,
  validity_from: null,
  validity_to: null,
  position,
  published: true,
});

async function ok(res: Promise<{ statusCode: number; body: string }>): Promise<void> {
  const r = await res;
  if (r.statusCode >= 300) throw new Error(`${r.statusCode} ${r.body}`);
}

async function gqlOk(query: string, variables?: Json): Promise<Json> {
  const res = await t.gql(query, variables);
  if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
  return res.data as Json;
}

/** GET /segments/items/category-trees over real HTTP as a customer. */
async function trees(
  customer: string,
  opts: { tenant?: string; headers?: Record<string, string>; query?: string } = {},
): Promise<{ status: number; etag: string | null; body: Node[] | null; cacheControl: string | null }> {
  const tenant = opts.tenant ?? 'acme';
  const res = await fetch(`${base}/customer-segment/${tenant}/segments/items/category-trees${opts.query ?? ''}`, {
    headers: { authorization: `Bearer ${tokens[`${tenant}/${customer}`]}`, ...(opts.headers ?? {}) },
  });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    body: text ? (JSON.parse(text) as Node[]) : null,
    cacheControl: res.headers.get('cache-control'),
  };
}

/** Node ids depth first, `*` marking isSegmentAssigned. */
function shape(nodes: Node[] | null): string[] {
  return (nodes ?? []).flatMap((n) => [`${n.id}${n.isSegmentAssigned ? '*' : ''}`, ...shape(n.subcategories ?? [])]);
}

beforeAll(async () => {
  t = await startTestApp({}, { clock: () => now });
  base = await t.listen();
  t.db.knex.on('query', (q: { sql: string }) => {
    if (/\bcategories\b/.test(q.sql) && !/tenant_versions/.test(q.sql)) categoryReads++;
  });
  const k = t.db.knex;
  for (const tenant of ['acme', 'other']) {
    await k('categories').insert([
      cat(tenant, 'c-root', null, 1, tenant === 'acme' ? 'Root' : 'Other root'),
      cat(tenant, 'c-a', 'c-root', 1),
      cat(tenant, 'c-a1', 'c-a', 1),
      cat(tenant, 'c-b', 'c-root', 2),
      cat(tenant, 'c-other', null, 2),
    ]);
    for (const c of ['alice', 'bob'])
      tokens[`${tenant}/${c}`] = await t.token({ tenant, scopes: [SCOPE.readOwn], customerId: c });
  }
  const otherAdmin = await t.token({ tenant: 'other' });
  for (const [tenant, token] of [
    ['acme', undefined],
    ['other', otherAdmin],
  ] as const) {
    for (const s of ['gold', 'silver']) {
      await ok(t.rest('PUT', `/segments/${s}`, { tenant, token, body: { name: s, siteCode: 'main', status: 'ACTIVE' } }));
    }
    await ok(t.rest('PUT', '/segments/gold/customers/alice', { tenant, token }));
    await ok(t.rest('PUT', '/segments/gold/customers/bob', { tenant, token }));
    await ok(t.rest('PUT', '/segments/silver/customers/bob', { tenant, token }));
  }
  await ok(t.rest('PUT', '/segments/gold/items/CATEGORY/c-a'));
  await ok(t.rest('PUT', '/segments/silver/items/CATEGORY/c-other'));
  await ok(t.rest('PUT', '/segments/gold/items/CATEGORY/c-b', { tenant: 'other', token: otherAdmin }));
});

afterAll(async () => {
  await t.close();
});

describe('kept trees', () => {
  test('a repeated call is served without reading categories, with an ETag; If-None-Match gets 304', async () => {
    const first = await trees('alice');
    expect(first.status).toBe(200);
    expect(shape(first.body)).toEqual(['c-root', 'c-a*', 'c-a1*']);
    expect(first.etag).toMatch(/^"[\w-]+"$/);
    expect(first.cacheControl).toBe('private, no-cache');
    const before = categoryReads;
    const again = await trees('alice');
    expect(categoryReads).toBe(before);
    expect(again.body).toEqual(first.body);
    expect(again.etag).toBe(first.etag);
    const notModified = await trees('alice', { headers: { 'if-none-match': first.etag as string } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
    expect(notModified.etag).toBe(first.etag);
    // A list naming it, a weak form of it, and * match too; another tag does not.
    expect((await trees('alice', { headers: { 'if-none-match': `"x", W/${first.etag}` } })).status).toBe(304);
    expect((await trees('alice', { headers: { 'if-none-match': '*' } })).status).toBe(304);
    expect((await trees('alice', { headers: { 'if-none-match': '"something-else"' } })).status).toBe(200);
  });

  test('the language is part of the answer and of its tag', async () => {
    const en = await trees('alice', { headers: { 'accept-language': 'en' } });
    const de = await trees('alice', { headers: { 'accept-language': 'de' } });
    expect(en.body?.[0]?.name).toEqual({ en: 'Root' });
    expect(de.body?.[0]?.name).toEqual({ de: 'Root (de)' });
    expect(de.etag).not.toBe(en.etag);
    expect((await trees('alice', { headers: { 'accept-language': 'de', 'if-none-match': en.etag as string } })).status).toBe(200);
  });

  test('another segment set gets its own tree; another tenant never gets this one', async () => {
    const alice = await trees('alice');
    const bob = await trees('bob');
    expect(shape(bob.body)).toEqual(['c-root', 'c-a*', 'c-a1*', 'c-other*']);
    expect(bob.etag).not.toBe(alice.etag);
    const otherAlice = await trees('alice', { tenant: 'other' });
    expect(shape(otherAlice.body)).toEqual(['c-root', 'c-b*']);
    expect(otherAlice.body?.[0]?.name).toEqual({ en: 'Other root', de: 'Other root (de)' });
    expect(otherAlice.etag).not.toBe(alice.etag);
    expect((await trees('alice', { tenant: 'other', headers: { 'if-none-match': alice.etag as string } })).status).toBe(200);
  });

  test('the REST answer is what the GraphQL operation gives, mapped by the same body function', async () => {
    for (const lang of ['en', 'de', '*']) {
      const rest = await trees('bob', { headers: { 'accept-language': lang } });
      const fields =
        'id parentId code name localizedDescription localizedSlug ecn validity { from to } position published isSegmentAssigned';
      const res = await t.gql<{ categoryTrees: TreeNodeData[] }>(
        // Three levels: as deep as these trees go (the REST answer nests up to 13).
        `query($c: ID) { categoryTrees(customerId: $c) { ${fields} subcategories { ${fields} subcategories { ${fields} } } } }`,
        { c: 'bob' },
        { headers: { 'accept-language': lang } },
      );
      expect(res.errors).toBeUndefined();
      expect(rest.body).toEqual(res.data?.categoryTrees.map(categoryNodeBody));
    }
  });
});

describe('compression', () => {
  /** A GET over node:http, which (unlike fetch) neither asks for nor undoes an encoding. */
  const raw = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get(url, { headers }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        })
        .on('error', reject);
    });

  test('a large kept answer goes gzip-compressed to a client that accepts it, under a tag of its own', async () => {
    const k = t.db.knex;
    // 60 categories under one root: an answer of several KiB.
    await k('categories').insert([
      cat('zip', 'z-root', null, 1),
      ...Array.from({ length: 60 }, (_, i) => cat('zip', `z-${String(i).padStart(2, '0')}`, 'z-root', i, `Category ${i}`)),
    ]);
    const admin = await t.token({ tenant: 'zip' });
    await ok(
      t.rest('PUT', '/segments/all', { tenant: 'zip', token: admin, body: { name: 'all', siteCode: 'main', status: 'ACTIVE' } }),
    );
    await ok(t.rest('PUT', '/segments/all/customers/carol', { tenant: 'zip', token: admin }));
    await ok(t.rest('PUT', '/segments/all/items/CATEGORY/z-root', { tenant: 'zip', token: admin }));
    const url = `${base}/customer-segment/zip/segments/items/category-trees`;
    const auth = { authorization: `Bearer ${await t.token({ tenant: 'zip', scopes: [SCOPE.readOwn], customerId: 'carol' })}` };

    const plain = await raw(url, auth);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(4096);
    expect(shape(JSON.parse(plain.body.toString()) as Node[])).toHaveLength(61);
    expect(plain.headers.vary).toMatch(/accept-encoding/i);

    const zipped = await raw(url, { ...auth, 'accept-encoding': 'br;q=1, gzip;q=0.8' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    // Both forms are the documented answer.
    const op = 'GET-customer-segment-retrieve-category-trees';
    await expectContract(op, 200, JSON.parse(plain.body.toString()));
    await expectContract(op, 200, JSON.parse(gunzipSync(zipped.body).toString()));
    expect(zipped.headers.etag).toMatch(/^"[\w-]+-gzip"$/);
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);

    // Each form revalidates under its own tag; the other form's tag is another representation.
    const etagZip = zipped.headers.etag as string;
    const etagPlain = plain.headers.etag as string;
    expect((await raw(url, { ...auth, 'accept-encoding': 'gzip', 'if-none-match': etagZip })).status).toBe(304);
    expect((await raw(url, { ...auth, 'if-none-match': etagPlain })).status).toBe(304);
    expect((await raw(url, { ...auth, 'if-none-match': etagZip })).status).toBe(200);
    // Refused gzip, or no gzip offered: the plain bytes.
    for (const refuse of ['gzip;q=0', 'br', 'identity']) {
      const r = await raw(url, { ...auth, 'accept-encoding': refuse });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.body.equals(plain.body)).toBe(true);
    }
    // A small answer is not compressed.
    const small = await raw(`${base}/customer-segment/acme/segments/items/category-trees`, {
      authorization: `Bearer ${tokens['acme/alice']}`,
      'accept-encoding': 'gzip',
    });
    expect(small.status).toBe(200);
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});

describe('every write that changes a tree changes the next answer and its tag', () => {
  async function changes(write: () => Promise<void>, expected: string[], customer = 'alice'): Promise<void> {
    const before = await trees(customer);
    await write();
    const after = await trees(customer);
    expect(shape(after.body)).toEqual(expected);
    expect(after.etag).not.toBe(before.etag);
    expect((await trees(customer, { headers: { 'if-none-match': before.etag as string } })).status).toBe(200);
  }
  const assignment = '/segments/gold/items/CATEGORY';

  test('CATEGORY assignment: PUT, DELETE, bulk PUT and bulk DELETE', async () => {
    await changes(() => ok(t.rest('PUT', `${assignment}/c-b`)), ['c-root', 'c-a*', 'c-a1*', 'c-b*']);
    await changes(() => ok(t.rest('DELETE', `${assignment}/c-b`)), ['c-root', 'c-a*', 'c-a1*']);
    await changes(
      () => ok(t.rest('PUT', `${assignment}/bulk`, { body: [{ id: 'c-b' }, { id: 'c-other' }] })),
      ['c-root', 'c-a*', 'c-a1*', 'c-b*', 'c-other*'],
    );
    await changes(() => ok(t.rest('DELETE', `${assignment}/bulk`, { body: ['c-b', 'c-other'] })), ['c-root', 'c-a*', 'c-a1*']);
    // A new validity on an existing assignment (an update, not an insert).
    await changes(() => ok(t.rest('PUT', `${assignment}/c-a`, { body: { validity: { from: JUNE_1 } } })), []);
    await changes(() => ok(t.rest('PUT', `${assignment}/c-a`, { body: {} })), ['c-root', 'c-a*', 'c-a1*']);
  });

  test('categories: update, parent move, create under an assigned one, delete', async () => {
    const upsert = 'mutation($input: [CategoryInput!]!) { upsertCategories(input: $input) }';
    await changes(async () => {
      await gqlOk(upsert, { input: [{ id: 'c-a1', parentId: 'c-a', code: 'c-a1', name: { en: 'Renamed' }, position: 1 }] });
    }, ['c-root', 'c-a*', 'c-a1*']);
    expect((await trees('alice')).body?.[0]?.subcategories?.[0]?.subcategories?.[0]?.name).toEqual({ en: 'Renamed' });
    await changes(async () => {
      await gqlOk(upsert, { input: [{ id: 'c-b', parentId: 'c-a', code: 'c-b', position: 2 }] });
    }, ['c-root', 'c-a*', 'c-a1*', 'c-b*']);
    await changes(async () => {
      await gqlOk(upsert, { input: [{ id: 'c-new', parentId: 'c-a1', code: 'c-new', position: 1 }] });
    }, ['c-root', 'c-a*', 'c-a1*', 'c-new*', 'c-b*']);
    await changes(async () => {
      await gqlOk('mutation($ids: [ID!]!) { deleteCategories(ids: $ids) }', { ids: ['c-new', 'c-b'] });
    }, ['c-root', 'c-a*', 'c-a1*']);
  });

  test('the import: a category line and a CATEGORY assignment line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tree-cache-'));
    const file = path.join(dir, 'in.ndjson');
    fs.writeFileSync(
      file,
      [
        { kind: 'category', id: 'c-imp', parentId: 'c-other', code: 'c-imp', position: 1 },
        { kind: 'itemAssignment', segmentId: 'gold', type: 'CATEGORY', itemId: 'c-other' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    try {
      await changes(async () => {
        const s = await runImport({ db: t.db, tenant: 'acme', files: [file] });
        expect(s.rejected).toBe(0);
      }, ['c-root', 'c-a*', 'c-a1*', 'c-other*', 'c-imp*']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await ok(t.rest('DELETE', `${assignment}/c-other`));
    }
  });

  test('segments: status, siteCode and a forced delete', async () => {
    const patch = (ops: Json[]) => ok(t.rest('PATCH', '/segments/silver', { body: ops }));
    await changes(() => patch([{ op: 'replace', path: '/status', value: 'INACTIVE' }]), ['c-root', 'c-a*', 'c-a1*'], 'bob');
    await changes(
      () => patch([{ op: 'replace', path: '/status', value: 'ACTIVE' }]),
      ['c-root', 'c-a*', 'c-a1*', 'c-other*', 'c-imp*'],
      'bob',
    );
    const bySite = (site: string) => trees('bob', { query: `?siteCode=${site}` });
    const mainBefore = await bySite('main');
    await patch([{ op: 'replace', path: '/siteCode', value: 'outlet' }]);
    expect(shape((await bySite('main')).body)).toEqual(['c-root', 'c-a*', 'c-a1*']);
    expect(shape((await bySite('outlet')).body)).toEqual(['c-other*', 'c-imp*']);
    expect((await bySite('main')).etag).not.toBe(mainBefore.etag);
    await patch([{ op: 'replace', path: '/siteCode', value: 'main' }]);
    await changes(() => ok(t.rest('DELETE', '/segments/silver?forceDelete=true')), ['c-root', 'c-a*', 'c-a1*'], 'bob');
  });
});

describe('versions', () => {
  test('a write that rolls back bumps nothing and changes no answer', async () => {
    const before = await trees('alice');
    const version = await readTenantVersion(t.db.knex, 'acme', 'category-tree');
    const failure = new Error('rolled back on purpose');
    await expect(
      t.db.knex.transaction(async (trx: Knex.Transaction) => {
        await trx('item_assignments').insert({
          tenant: 'acme',
          segment_id: 'gold',
          type: 'CATEGORY',
          item_id: 'c-other',
          assignment_type: 'MANUAL',
          version: 1,
          created_at: 1,
          modified_at: 1,
        });
        expect(await readTenantVersion(trx, 'acme', 'category-tree')).toBeGreaterThan(version);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await readTenantVersion(t.db.knex, 'acme', 'category-tree')).toBe(version);
    const after = await trees('alice', { headers: { 'if-none-match': before.etag as string } });
    expect(after.status).toBe(304);
  });

  test("a write to another tenant or to PRODUCT assignments leaves this tenant's version alone", async () => {
    const version = await readTenantVersion(t.db.knex, 'acme', 'category-tree');
    await ok(t.rest('PUT', '/segments/gold/items/CATEGORY/c-a', { tenant: 'other', token: await t.token({ tenant: 'other' }) }));
    await ok(t.rest('PUT', '/segments/gold/items/PRODUCT/p-1'));
    await ok(t.rest('DELETE', '/segments/gold/items/PRODUCT/p-1'));
    expect(await readTenantVersion(t.db.knex, 'acme', 'category-tree')).toBe(version);
  });

  test('another instance (its own cache, the same database) sees a write made through this one', async () => {
    const other = new CategoryTreeCache(t.db, t.services.storefront, { maxEntries: 10, maxBytes: 1 << 20 });
    const req = { tenant: 'acme', member: { customerId: 'alice', at: now }, siteCode: undefined, at: now };
    const lang = { accept: null, defaultLanguage: 'en' };
    const before = await other.rest(req, lang);
    await ok(t.rest('PUT', `/segments/gold/items/CATEGORY/c-other`));
    const after = await other.rest(req, lang);
    expect(after.etag).not.toBe(before.etag);
    expect(shape(JSON.parse(after.body.toString('utf8')) as Node[])).toContain('c-other*');
    await ok(t.rest('DELETE', `/segments/gold/items/CATEGORY/c-other`));
    expect(shape(JSON.parse((await other.rest(req, lang)).body.toString('utf8')) as Node[])).not.toContain('c-other*');
  });
});

describe('validity bounds', () => {
  test('the clock crossing an assignment bound changes the answer with no write; at inside the interval hits', async () => {
    await ok(t.rest('PUT', '/segments/gold/items/CATEGORY/c-other', { body: { validity: { from: JUNE_1, to: JULY_1 } } }));
    now = MAY;
    const may = await trees('alice');
    expect(shape(may.body)).toEqual(['c-root', 'c-a*', 'c-a1*']);
    const version = await readTenantVersion(t.db.knex, 'acme', 'category-tree');
    // Still May, a day later: the same interval, so the same answer from the kept tree.
    now = MAY + 86_400_000;
    const reads = categoryReads;
    const mayLater = await trees('alice');
    expect(categoryReads).toBe(reads);
    expect(mayLater.etag).toBe(may.etag);
    // June 1: the bound is crossed.
    now = Date.parse(JUNE_1);
    const june = await trees('alice');
    expect(shape(june.body)).toEqual(['c-root', 'c-a*', 'c-a1*', 'c-other*', 'c-imp*']);
    expect(june.etag).not.toBe(may.etag);
    expect((await trees('alice', { headers: { 'if-none-match': may.etag as string } })).status).toBe(200);
    // July 1 is outside [from, to).
    now = Date.parse(JULY_1);
    expect(shape((await trees('alice')).body)).toEqual(['c-root', 'c-a*', 'c-a1*']);
    // `at` asks for an instant: back in June, from whatever is kept.
    expect(shape((await trees('alice', { query: `?at=${encodeURIComponent('2026-06-15T00:00:00Z')}` })).body)).toContain(
      'c-other*',
    );
    expect(await readTenantVersion(t.db.knex, 'acme', 'category-tree')).toBe(version);
    now = MAY;
  });
});
