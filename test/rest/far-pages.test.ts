/**
 * Pages far into a segment's members (offset FAR_PAGE_OFFSET and beyond) are cut from the end of
 * the reversed order when that is nearer (shared/paging-sql.ts pageRead): every page, in every
 * sort, must hold exactly what the forward order puts there — the oracle below — including ties
 * broken by the default order, NULLs, a last partial page and pages past the end.
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';
import { assignmentRow, guardRest, itemAssignmentRow, uid } from './_support';
import { FAR_PAGE_OFFSET, pageRead } from '../../src/modules/shared/paging-sql';

let t: TestApp;
let rest: ReturnType<typeof guardRest>;

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
});
afterAll(() => t.close());

async function segment(): Promise<string> {
  const id = uid('far');
  const res = await rest('POST', '/segments', { body: { id, name: { en: 'Far' }, siteCode: 'main' } });
  if (res.statusCode !== 201) throw new Error(`segment: ${res.statusCode} ${res.body}`);
  return id;
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
/** NULL first ascending, last descending, as both databases order it. */
const cmpNullable = (a: number | null, b: number | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : cmp(a, b));

test('pageRead: forward before FAR_PAGE_OFFSET or when nearer the start, from the end otherwise', () => {
  expect(pageRead({ pageNumber: 1, pageSize: 60, offset: 0 }, 5000)).toEqual({ offset: 0, limit: 60, reversed: false });
  // 2,460..2,520 of 5,000: 2,480 from the end, 2,460 from the start.
  expect(pageRead({ pageNumber: 42, pageSize: 60, offset: 2460 }, 5000)).toEqual({ offset: 2460, limit: 60, reversed: false });
  expect(pageRead({ pageNumber: 43, pageSize: 60, offset: 2520 }, 5000)).toEqual({ offset: 2420, limit: 60, reversed: true });
  // The last, partial page: 4,980..5,000.
  expect(pageRead({ pageNumber: 84, pageSize: 60, offset: 4980 }, 5000)).toEqual({ offset: 0, limit: 20, reversed: true });
  expect(pageRead({ pageNumber: 85, pageSize: 60, offset: 5040 }, 5000)).toBeNull();
  expect(pageRead({ pageNumber: 2, pageSize: 60, offset: 60 }, 0)).toBeNull();
});

describe('GET /segments/{id}/customers far pages', () => {
  const N = FAR_PAGE_OFFSET + 237;
  let seg: string;
  interface Member {
    customer: string;
    legalEntity: string;
    createdAt: number;
    validityTo: number | null;
  }
  const members: Member[] = [];

  beforeAll(async () => {
    seg = await segment();
    for (let i = 0; i < N; i++) {
      // Ids out of creation order, creation times with many ties, B2B rows beside B2C ones of
      // the same customer, and a nullable sort field.
      const n = (i * 7919) % N;
      members.push({
        customer: `c${String(n % 900).padStart(4, '0')}`,
        legalEntity: n < 900 ? '' : `le${n}`,
        createdAt: 1_700_000_000_000 + (i % 40),
        validityTo: i % 3 === 0 ? null : 1_900_000_000_000 + (i % 17),
      });
    }
    const rows = members.map((m) => ({
      ...assignmentRow('acme', seg, m.customer, m.legalEntity),
      created_at: m.createdAt,
      modified_at: m.createdAt,
      validity_to: m.validityTo,
    }));
    await t.db.knex.batchInsert('customer_assignments', rows, 200);
  });

  const byDefault = (a: Member, b: Member): number =>
    cmp(a.createdAt, b.createdAt) || cmp(a.customer, b.customer) || cmp(a.legalEntity, b.legalEntity);
  const key = (m: Member): string => (m.legalEntity ? `${m.customer}/${m.legalEntity}` : m.customer);

  async function page(query: string): Promise<string[]> {
    const res = await rest('GET', `/segments/${seg}/customers?${query}`);
    expect(res.statusCode).toBe(200);
    await expectContract('GET-customer-segment-retrieve-customers', 200, res.json());
    return (res.json() as { customer: { id: string }; legalEntity?: { id: string } }[]).map((a) =>
      a.legalEntity ? `${a.customer.id}/${a.legalEntity.id}` : a.customer.id,
    );
  }

  test.each([
    ['the default order', '', byDefault],
    [
      'validity.to descending (NULLs last)',
      'sort=validity.to:desc',
      (a: Member, b: Member) => cmpNullable(b.validityTo, a.validityTo) || byDefault(a, b),
    ],
    ['customerId descending', 'sort=customerId:desc', (a: Member, b: Member) => cmp(b.customer, a.customer) || byDefault(a, b)],
  ])('%s: every page as the forward order has it', async (_name, sort, order) => {
    const expected = [...members].sort(order).map(key);
    for (const size of [60, 7]) {
      const last = Math.ceil(N / size);
      const numbers = size === 60 ? Array.from({ length: last + 1 }, (_, i) => i + 1) : [143, 144, 150, 170, last, last + 1];
      for (const p of numbers) {
        const got = await page(`pageNumber=${p}&pageSize=${size}${sort ? `&${sort}` : ''}`);
        expect(got).toEqual(expected.slice((p - 1) * size, p * size));
      }
    }
  });

  test('a q filter reads forward, and still cuts the right page', async () => {
    const expected = members
      .filter((m) => m.legalEntity === '')
      .sort(byDefault)
      .map(key);
    expect(expected.length).toBeGreaterThan(FAR_PAGE_OFFSET / 2);
    const size = 100;
    const last = Math.ceil(expected.length / size);
    expect(await page(`pageNumber=${last}&pageSize=${size}&q=legalEntityId:null`)).toEqual(expected.slice((last - 1) * size));
  });
});

describe('GET /segments/{id}/items far pages', () => {
  const N = FAR_PAGE_OFFSET + 130;
  let seg: string;
  const items: { type: string; id: string; createdAt: number }[] = [];

  beforeAll(async () => {
    seg = await segment();
    for (let i = 0; i < N; i++) {
      const n = (i * 104729) % N;
      items.push({
        type: n % 4 === 0 ? 'CATEGORY' : 'PRODUCT',
        id: `i${String(n).padStart(5, '0')}`,
        createdAt: 1_700_000_000_000 + (i % 25),
      });
    }
    const rows = items.map((it) => ({
      ...itemAssignmentRow('acme', seg, it.id, it.type),
      created_at: it.createdAt,
      modified_at: it.createdAt,
    }));
    await t.db.knex.batchInsert('item_assignments', rows, 200);
  });

  test('every page of the default order and of item id descending, up to past the end', async () => {
    const byDefault = (a: (typeof items)[number], b: (typeof items)[number]): number =>
      cmp(a.createdAt, b.createdAt) || cmp(a.type, b.type) || cmp(a.id, b.id);
    for (const [sort, order] of [
      ['', byDefault],
      ['&sort=itemId:desc', (a: (typeof items)[number], b: (typeof items)[number]) => cmp(b.id, a.id) || byDefault(a, b)],
    ] as const) {
      const expected = [...items].sort(order).map((it) => `${it.type}:${it.id}`);
      const size = 60;
      for (let p = 1; p <= Math.ceil(N / size) + 1; p++) {
        const res = await rest('GET', `/segments/${seg}/items?pageNumber=${p}&pageSize=${size}${sort}`);
        expect(res.statusCode).toBe(200);
        await expectContract('GET-customer-segment-retrieve-segment-items', 200, res.json());
        const got = (res.json() as { type: string; item: { id: string } }[]).map((a) => `${a.type}:${a.item.id}`);
        expect(got).toEqual(expected.slice((p - 1) * size, p * size));
      }
    }
  });

  test('a read_own caller is never shown another segment’s far pages', async () => {
    const own = await t.token({ scopes: [SCOPE.readOwn], customerId: uid('nobody') });
    const res = await rest('GET', `/segments/${seg}/items?pageNumber=20&pageSize=60`, { token: own });
    expect(res.statusCode).toBe(404);
  });
});
