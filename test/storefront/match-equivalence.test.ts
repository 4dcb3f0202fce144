import { startTestApp, type TestApp } from '../helpers/app';

/**
 * match() against an oracle written from the rule itself, on a random catalog: a product
 * matches a segment (active, of the site) directly, or through a CATEGORY assignment of one of
 * its categories or an ancestor of one; assignments count while at ∈ [from, to). The oracle
 * walks the rows in memory; the repository must give the same reasons in the same order, and
 * the ids-only answer (matchingProducts: POST /segments/match, matchItems without reasons) the
 * same products. In three setups: with the category cover and the segments' PRODUCT parts kept
 * (the default), with the cache off, and with a cache too small for any part — the last two walk
 * and probe in SQL.
 */
const T = 'acme';
let t: TestApp;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each([
  ['the category cover kept', {}],
  ['the cover cache off', { CATEGORY_COVER_CACHE_SIZE: '0' }],
  ['a cover too large to keep', { CATEGORY_COVER_CACHE_BYTES: '1000' }],
])('with %s', (_setup, env: Record<string, string>) => {
  beforeAll(async () => {
    t = await startTestApp(env);
  });

  afterAll(async () => {
    await t.close();
  });

  test('the same reasons as an in-memory oracle on a random catalog', async () => {
    const rnd = prng(11);
    const k = t.db.knex;
    const NOW = Date.parse('2026-05-15T00:00:00Z');
    const parent = new Map<string, string | null>();
    const categories = Array.from({ length: 300 }, (_, i) => {
      const id = `c${i}`;
      const p = i < 10 ? null : `c${Math.floor(rnd() * i)}`;
      parent.set(id, p);
      return { tenant: T, id, parent_id: p, code: id, position: i, published: true };
    });
    for (let i = 0; i < categories.length; i += 100) await k('categories').insert(categories.slice(i, i + 100));
    const links: { tenant: string; product_id: string; category_id: string }[] = [];
    for (let i = 0; i < 400; i++) {
      for (const c of new Set(Array.from({ length: Math.floor(rnd() * 3) }, () => `c${Math.floor(rnd() * 300)}`))) {
        links.push({ tenant: T, product_id: `p${i}`, category_id: c });
      }
    }
    for (let i = 0; i < links.length; i += 200) await k('product_categories').insert(links.slice(i, i + 200));
    const segments = Array.from({ length: 10 }, (_, i) => ({
      tenant: T,
      id: `s${i}`,
      name: JSON.stringify({ en: `s${i}` }),
      status: i === 9 ? 'INACTIVE' : 'ACTIVE',
      site_code: i === 8 ? 'outlet' : 'main',
      version: 1,
      created_at: 1,
      modified_at: 1,
    }));
    await k('segments').insert(segments);
    const bound = () => (rnd() < 0.7 ? null : NOW + Math.floor((rnd() - 0.5) * 1e9));
    const seen = new Set<string>();
    const assignments: Record<string, unknown>[] = [];
    for (let i = 0; i < 1500; i++) {
      const type = rnd() < 0.4 ? 'CATEGORY' : 'PRODUCT';
      const item = type === 'CATEGORY' ? `c${Math.floor(rnd() * 300)}` : `p${Math.floor(rnd() * 400)}`;
      const segment = `s${Math.floor(rnd() * 10)}`;
      if (seen.has(`${segment}/${item}`)) continue;
      seen.add(`${segment}/${item}`);
      assignments.push({
        tenant: T,
        segment_id: segment,
        type,
        item_id: item,
        assignment_type: 'MANUAL',
        validity_from: bound(),
        validity_to: bound(),
        version: 1,
        created_at: 1,
        modified_at: 1,
      });
    }
    for (let i = 0; i < assignments.length; i += 200) await k('item_assignments').insert(assignments.slice(i, i + 200));

    const validAt = (a: Record<string, unknown>, at: number) =>
      (a.validity_from === null || (a.validity_from as number) <= at) &&
      (a.validity_to === null || (a.validity_to as number) > at);
    const valid = (a: Record<string, unknown>) => validAt(a, NOW);
    const asked = ['s0', 's1', 's2', 's3', 's4', 's5', 's8', 's9', 'nope'];
    const live = new Set(segments.filter((s) => s.status === 'ACTIVE' && s.site_code === 'main').map((s) => s.id));
    const products = [...Array.from({ length: 400 }, (_, i) => `p${(i * 7) % 400}`), 'p-unknown', 'p3'];
    const pathOf = (productId: string): Set<string> => {
      const path = new Set<string>();
      for (const l of links.filter((x) => x.product_id === productId)) {
        for (let c: string | null = l.category_id; c !== null && !path.has(c); c = parent.get(c) ?? null) path.add(c);
      }
      return path;
    };
    const oracle = [...new Set(products)].flatMap((productId) => {
      const reasons: { segmentId: string; via: string; categoryId: string | null }[] = [];
      for (const a of assignments) {
        if (!asked.includes(a.segment_id as string) || !live.has(a.segment_id as string) || !valid(a)) continue;
        if (a.type === 'PRODUCT' && a.item_id === productId)
          reasons.push({ segmentId: a.segment_id as string, via: 'DIRECT', categoryId: null });
      }
      const path = pathOf(productId);
      for (const a of assignments) {
        if (!asked.includes(a.segment_id as string) || !live.has(a.segment_id as string) || !valid(a)) continue;
        if (a.type === 'CATEGORY' && path.has(a.item_id as string)) {
          reasons.push({ segmentId: a.segment_id as string, via: 'CATEGORY', categoryId: a.item_id as string });
        }
      }
      const key = (r: (typeof reasons)[number]) => `${r.segmentId}\u0000${r.via}\u0000${r.categoryId ?? ''}`;
      reasons.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      return reasons.length ? [{ productId, reasons }] : [];
    });
    expect(oracle.length).toBeGreaterThan(100);
    const got = await t.services.storefront.match(T, 'main', asked, products, NOW);
    expect(got).toEqual(oracle);

    const ids = oracle.map((m) => m.productId);
    expect(await t.services.storefront.matchingProducts(T, 'main', asked, products, NOW)).toEqual(ids);
    // Instants far from the bounds, before 1970 too: only assignments with an open end count.
    for (const at of [Date.parse('1960-01-01T00:00:00Z'), Date.parse('2200-01-01T00:00:00Z')]) {
      const expected = [...new Set(products)].filter((p) =>
        assignments.some(
          (a) =>
            asked.includes(a.segment_id as string) &&
            live.has(a.segment_id as string) &&
            validAt(a, at) &&
            (a.type === 'PRODUCT' ? a.item_id === p : pathOf(p).has(a.item_id as string)),
        ),
      );
      expect(expected.length).toBeGreaterThan(10);
      expect(expected.length).toBeLessThan(ids.length);
      expect(await t.services.storefront.matchingProducts(T, 'main', asked, products, at)).toEqual(expected);
    }
    const at = new Date(NOW).toISOString();
    const rest = await t.rest('POST', `/segments/match?at=${at}`, {
      body: { siteCode: 'main', segmentIds: asked, items: products.map((id) => ({ id })) },
    });
    expect(rest.statusCode).toBe(200);
    expect(rest.json()).toEqual(ids.map((id) => ({ id })));
    // Without reasons (through a fragment too), and with them: the same products.
    const head =
      'query M($s: [ID!]!, $p: [ID!]!, $at: DateTimeISO) { matchItems(siteCode: "main", segmentIds: $s, productIds: $p, at: $at)';
    const query = (text: string) => t.gql<{ matchItems: { productId: string }[] }>(text, { s: asked, p: products, at });
    const idsOnly = await query(`${head} { productId } }`);
    expect(idsOnly.data?.matchItems.map((m) => m.productId)).toEqual(ids);
    const withReasons = await query(`${head} { productId ...R } } fragment R on ItemMatch { reasons { segmentId } }`);
    expect(withReasons.data?.matchItems).toEqual(
      oracle.map((m) => ({ productId: m.productId, reasons: m.reasons.map((r) => ({ segmentId: r.segmentId })) })),
    );
  });

  test('ids only: a stray cycle ends, a linked or parent id the store lacks still counts', async () => {
    const k = t.db.knex;
    const C = 'cyc';
    const NOW = Date.parse('2026-05-15T00:00:00Z');
    // a → b → a (a cycle), b assigned nowhere; x → ghost-parent (absent), ghost-parent assigned;
    // a product linked to ghost-linked (absent from categories), which is assigned.
    await k('categories').insert(
      [
        ['a', 'b'],
        ['b', 'a'],
        ['x', 'ghost-parent'],
        ['y', null],
      ].map(([id, parent_id], i) => ({ tenant: C, id, parent_id, code: id, position: i, published: true })),
    );
    await k('product_categories').insert(
      [
        ['p-cycle', 'a'],
        ['p-ghost-parent', 'x'],
        ['p-ghost-linked', 'ghost-linked'],
        ['p-cycle-and-y', 'b'],
        ['p-cycle-and-y', 'y'],
      ].map(([product_id, category_id]) => ({ tenant: C, product_id, category_id })),
    );
    await k('segments').insert({
      tenant: C,
      id: 's',
      name: JSON.stringify({ en: 's' }),
      status: 'ACTIVE',
      site_code: 'main',
      version: 1,
      created_at: 1,
      modified_at: 1,
    });
    await k('item_assignments').insert(
      ['ghost-parent', 'ghost-linked', 'y'].map((item_id) => ({
        tenant: C,
        segment_id: 's',
        type: 'CATEGORY',
        item_id,
        assignment_type: 'MANUAL',
        version: 1,
        created_at: 1,
        modified_at: 1,
      })),
    );
    const products = ['p-cycle', 'p-ghost-parent', 'p-ghost-linked', 'p-cycle-and-y'];
    const full = await t.services.storefront.match(C, 'main', ['s'], products, NOW);
    const ids = await t.services.storefront.matchingProducts(C, 'main', ['s'], products, NOW);
    expect(ids).toEqual(['p-ghost-parent', 'p-ghost-linked', 'p-cycle-and-y']);
    expect(ids).toEqual(full.map((m) => m.productId));
  });
});
