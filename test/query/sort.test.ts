import { QueryError } from '../../src/query/q-parser';
import { applySort, MAX_SORT_FIELDS, parseSort } from '../../src/query/sort';
import { dialect, openTestDb, resolver } from './db';
import type { TestDb } from './db';

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

async function sorted(sort: string | undefined): Promise<string[]> {
  const qb = db.from();
  applySort(qb, parseSort(sort, resolver, dialect), ['t.created_at', 't.id']);
  const rows: { id: string }[] = await qb;
  return rows.map((r) => r.id);
}

function sortError(sort: string): QueryError {
  try {
    parseSort(sort, resolver, dialect);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    expect((e as QueryError).field).toBe('sort');
    return e as QueryError;
  }
  throw new Error(`${sort} did not fail`);
}

describe(`sort (${dialect})`, () => {
  it.each<[string | undefined, string[]]>([
    // Without sort: creation time, then id (byte order: 'A' < 'a').
    [undefined, ['A', 'a', 'b', 'c', 'd', 'e']],
    ['', ['A', 'a', 'b', 'c', 'd', 'e']],
    ['metadataCreatedAt:desc', ['e', 'd', 'c', 'b', 'A', 'a']],
    ['score:desc', ['A', 'a', 'b', 'e', 'd', 'c']],
    ['score', ['c', 'd', 'e', 'b', 'a', 'A']],
    ['status,score', ['e', 'b', 'a', 'c', 'd', 'A']],
    ['status:DESC,score:Desc', ['A', 'd', 'c', 'a', 'b', 'e']],
    ['validity.from:asc', ['A', 'c', 'd', 'a', 'b', 'e']],
    // JSON text orders bytewise on both dialects.
    ['name.en', ['c', 'd', 'a', 'e', 'A', 'b']],
    ['name.en:desc', ['b', 'A', 'e', 'a', 'd', 'c']],
    [' name.en : asc , ', ['c', 'd', 'a', 'e', 'A', 'b']],
    // Absent keys first (then the tiebreak), JSON numbers numerically (10 after 9.5).
    ['mixins.seg.level', ['A', 'c', 'e', 'a', 'd', 'b']],
    ['mixins.seg.level:desc', ['b', 'd', 'a', 'A', 'c', 'e']],
    // Mixed types: absent, then numbers, then strings — the same on MySQL and SQLite.
    ['mixins.code', ['A', 'c', 'e', 'b', 'a', 'd']],
    ['name.fr:desc,mixins.seg.tier', ['d', 'A', 'c', 'b', 'a', 'e']],
  ])('%s', async (sort, ids) => {
    expect(await sorted(sort)).toEqual(ids);
  });

  it('returns no keys for absent or empty sort', () => {
    expect(parseSort(undefined, resolver, dialect)).toEqual([]);
    expect(parseSort(null, resolver, dialect)).toEqual([]);
    expect(parseSort(' , ', resolver, dialect)).toEqual([]);
  });

  it('binds JSON paths instead of splicing them', () => {
    const keys = parseSort('mixins.seg.level:desc', resolver, dialect);
    expect(keys.every((k) => k.desc)).toBe(true);
    expect(keys.flatMap((k) => k.bindings)).toContain('$."seg"."level"');
    expect(keys.map((k) => k.sql).join(' ')).not.toContain('level');
    expect(parseSort('score', resolver, dialect)).toEqual([{ sql: 't.score', bindings: [], desc: false }]);
  });

  it.each<[string, RegExp]>([
    ['foo', /^sort: unknown field "foo"$/],
    ['name', /^sort: unknown field "name"$/],
    ['name.en:up', /^sort: invalid direction "up" for field "name.en" \(use asc or desc\)$/],
    ['name.en:', /^sort: invalid direction "" for field "name.en"/],
    ['name.en:asc:desc', /invalid direction "asc:desc"/],
    ['mixins.a"b', /^sort: invalid key "a"b" in field "mixins.a"b"/],
    ['score;DROP TABLE t', /^sort: unknown field "score;DROP TABLE t"$/],
    [
      Array(MAX_SORT_FIELDS + 1)
        .fill('score')
        .join(','),
      /too many fields \(at most 10\)/,
    ],
  ])('rejects %s', (sort, re) => {
    expect(sortError(sort).message).toMatch(re);
  });
});
