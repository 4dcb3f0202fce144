import { applyQ, compileTerm } from '../../src/query/q-compile';
import type { QTerm } from '../../src/query/q-parser';
import { makeResolver } from '../../src/query/fields';
import { parseQ, QueryError } from '../../src/query/q-parser';
import { dialect, openTestDb, resolver, ROWS } from './db';
import type { TestDb } from './db';

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

const ALL = ROWS.map((r) => r.id).sort();
const except = (...ids: string[]): string[] => ALL.filter((id) => !ids.includes(id));

async function match(q: string): Promise<string[]> {
  const qb = db.from();
  applyQ(qb, parseQ(q), resolver, dialect);
  const rows: { id: string }[] = await qb;
  return rows.map((r) => r.id).sort();
}

async function queryError(q: string): Promise<string> {
  try {
    await match(q);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    expect((e as QueryError).field).toBe('q');
    return (e as QueryError).message;
  }
  throw new Error(`${q} did not fail`);
}

type Case = [q: string, ids: string[]];
const cases = (title: string, list: Case[]): void => {
  describe(`${title} (${dialect})`, () => {
    it.each(list)('%s', async (q, ids) => {
      expect(await match(q)).toEqual([...ids].sort());
    });
  });
};

cases('string columns', [
  ['siteCode:main', ['a']],
  ['id:A', ['A']],
  ['id:a', ['a']],
  [`siteCode:"it's"`, ['e']],
  ['siteCode:(main,x)', ['a', 'd']],
  ['siteCode:(main,null)', ['a', 'c']],
  ['siteCode:>m', ['a', 'd']],
  ['siteCode:(>=M AND <N)', ['A', 'b']],
  ['siteCode:~MAIN', ['A', 'a', 'b']],
  ['siteCode:~^ma', ['A', 'a', 'b']],
  [`siteCode:~'s$`, ['e']],
  ['siteCode:~^main$', ['A', 'a', 'b']],
  ['siteCode:null', ['c']],
  ['siteCode:missing', ['c']],
  ['siteCode:exists', except('c')],
]);

cases('enum columns', [
  ['status:ACTIVE', ['a', 'b', 'e']],
  ['status:(ACTIVE,INACTIVE)', ALL],
  ['status:~^in', ['A', 'c', 'd']],
]);

cases('number and boolean columns', [
  ['score:>5', ['A', 'a', 'b']],
  ['score:(>=0 AND <10)', ['b', 'e']],
  ['score:-2.5', ['d']],
  ['score:"-2.5"', ['d']],
  ['score:(0,100)', ['A', 'e']],
  ['score:<=1e1', ['a', 'b', 'd', 'e']],
  ['score:null', ['c']],
  ['flag:true', ['a', 'd']],
  ['flag:false', ['b', 'e']],
  ['flag:(true,null)', ['A', 'a', 'c', 'd']],
  ['flag:missing', ['A', 'c']],
]);

cases('instant columns (epoch ms)', [
  ['validity.from:>="2024-01-01T00:00:00Z"', ['a', 'b', 'e']],
  ['validity.from:<2024-01-01T00:00:00Z', ['d']],
  ['validity.from:"2024-01-01T01:00:00+01:00"', ['a']],
  ['validity.from:2024-01-01', ['a']],
  ['validity.from:2023-12-31T23:59:59.999Z', ['d']],
  ['validity.from:2024-06-01T12:00', ['b']],
  ['validity.from:(>=2024-01-01 AND <2025-01-01)', ['a', 'b']],
  ['validity.from:("2024-06-01T14:00:00+02:00",2025-01-01T00:00:00.000Z)', ['b', 'e']],
  ['validity.from:null', ['A', 'c']],
  ['metadata.createdAt:<="1970-01-01T00:00:02Z"', ['A', 'a', 'b']],
  ['metadataCreatedAt:1970-01-01T00:00:01Z', ['A', 'a']],
]);

cases('localized JSON fields', [
  ['name.en:"gold rush"', ['b']],
  ['name.en:"Gold Rush"', []],
  ['name.de:Goldrausch', ['b']],
  ['name.de:(zeta,Goldrausch)', ['A', 'b']],
  ['name.en:~gold', ['a', 'b']],
  ['name.en:~^GOLD', ['a', 'b']],
  ['name.en:~rush$', ['b']],
  ['name.en:~ush', ['b']],
  ['name.en:~(gold members)', ['a']],
  ['name.en:~(^gold members$)', ['a']],
  ['name.en:~"gold members"$', ['a']],
  ['name.en:~^(old members)', []],
  ['name.fr:exists', ['d']],
  ['name.fr:missing', except('d')],
  ['name.fr:null', except('d')],
]);

cases('LIKE metacharacters in user text are literal', [
  ['name.en:~%', ['c']],
  ['name.en:~_', ['c']],
  ['name.en:~!', ['c']],
  ['name.en:~100%', ['c']],
  ['name.en:~^%', []],
  ['name.en:~r_c', ['c']],
  ['name.en:~e\\b', ['d']],
  ['name.en:~"\\"quoted\\""', ['e']],
  [`name.en:~o'b`, ['e']],
  ['mixins.seg.pct:~50%', ['a']],
  ['mixins.seg.pct:~50_', ['b']],
  ['mixins.seg.pct:~^50', ['a', 'b']],
]);

cases('JSON strings are exact and case-sensitive', [
  ['mixins.seg.tier:gold', ['a']],
  ['mixins.seg.tier:"gold "', ['e']],
  ['mixins.seg.tier:(gold,bronze)', ['a', 'd']],
  ['mixins.seg.tier:(Gold,null)', ['A', 'b', 'c']],
  ['mixins.seg.tier:>bronze', ['a', 'e']],
  ['mixins.seg.tier:~GOLD', ['a', 'b', 'e']],
  ['mixins.seg.tier:~gold$', ['a', 'b']],
]);

cases('JSON null, exists, missing', [
  ['mixins.seg.tier:null', ['A', 'c']],
  ['mixins.seg.tier:exists', ['a', 'b', 'd', 'e']],
  ['mixins.seg.tier:missing', ['A', 'c']],
  ['mixins.seg.note:null', ALL],
  ['mixins.seg.note:exists', ['a']],
  ['mixins.seg.note:missing', except('a')],
  ['mixins.seg:exists', except('c')],
  ['mixins.seg:null', ['c']],
  ['mixins.seg.tags:exists', ['d']],
  ['mixins.seg.tags:a', []],
]);

cases('JSON numbers compare numerically', [
  ['mixins.seg.level:>6', ['b', 'd']],
  ['mixins.seg.level:(>=5 AND <=9.5)', ['a', 'd']],
  ['mixins.seg.level:5', ['a']],
  ['mixins.seg.level:5.0', ['a']],
  ['mixins.seg.level:"5"', []],
  ['mixins.seg.level:(10,9.5)', ['b', 'd']],
  ['mixins.seg.level:<1e1', ['a', 'd']],
  ['mixins.seg.level:~5', []],
  // An unquoted number also equals a JSON string with that exact text; comparisons stay numeric.
  ['mixins.code:5', ['a', 'b']],
  ['mixins.code:"5"', ['a']],
  ['mixins.code:>4', ['b']],
  ['mixins.code:>"4"', ['a', 'd']],
]);

cases('JSON booleans', [
  ['mixins.seg.vip:true', ['a']],
  ['mixins.seg.vip:false', ['b']],
  ['mixins.seg.vip:(true,false)', ['a', 'b']],
  ['mixins.seg.vip:"true"', []],
  ['mixins.seg.vip:1', []],
  ['mixins.seg.one:1', ['b']],
  ['mixins.seg.one:true', []],
]);

cases('terms are ANDed', [
  ['status:ACTIVE name.en:~gold mixins.seg.level:>6', ['b']],
  ['status:ACTIVE status:INACTIVE', []],
  ['', ALL],
]);

cases('SQL injection attempts are inert', [
  [`name.en:"x' OR '1'='1"`, []],
  [`siteCode:"main' --"`, []],
  ['siteCode:"main\\" OR 1=1 --"', []],
  [`mixins.seg.tier:"gold') OR 1=1 --"`, []],
  [`name.en:~"%' OR 1=1 --"`, []],
  [`siteCode:"'; DROP TABLE segments; --"`, []],
  ['siteCode:"?"', []],
  ['siteCode:(?,main,"??")', ['a']],
  [`mixins.seg.tier:>"' OR 1=1"`, ['a', 'b', 'd', 'e']],
]);

describe(`errors (${dialect})`, () => {
  it.each<[string, RegExp]>([
    ['foo:1', /^q: unknown field "foo"$/],
    ['name:x', /^q: unknown field "name"$/],
    ['mixins:x', /^q: unknown field "mixins"$/],
    ['mixins.a..b:1', /^q: invalid key "" in field "mixins.a..b"/],
    [`mixins.${'a'.repeat(65)}:1`, /^q: invalid key "a{65}"/],
    [`mixins.${Array(17).fill('a').join('.')}:1`, /^q: invalid field .* \(expected 1 to 16 keys/],
    ['constructor:1', /^q: unknown field "constructor"$/],
    ['__proto__:1', /^q: unknown field "__proto__"$/],
    ['status:active', /^q: invalid value "active" for field "status" \(allowed: ACTIVE, INACTIVE\)$/],
    ['status:(ACTIVE,nope)', /invalid value "nope" for field "status"/],
    ['status:>A', /^q: field "status" does not support comparisons$/],
    ['score:abc', /^q: field "score" expects a number, got "abc"$/],
    ['score:0x10', /expects a number/],
    ['score:(>=1 AND <=x)', /expects a number, got "x"/],
    ['score:~1', /^q: field "score" does not support text search/],
    ['flag:yes', /^q: field "flag" expects true or false, got "yes"$/],
    ['flag:>false', /does not support comparisons/],
    ['validity.from:2024-13-01', /^q: field "validity.from" expects an ISO-8601 date-time .*got "2024-13-01"$/],
    ['validity.from:2023-02-29', /expects an ISO-8601/],
    ['validity.from:2024-01-01T24:00:00Z', /expects an ISO-8601/],
    ['validity.from:1700000000000', /expects an ISO-8601/],
    ['validity.from:>yesterday', /expects an ISO-8601/],
    ['validity.from:~2024', /does not support text search/],
    ['mixins.seg.vip:>true', /^q: field "mixins.seg.vip" does not support comparisons with true\/false$/],
  ])('%s', async (q, re) => {
    expect(await queryError(q)).toMatch(re);
  });

  it('leaves the query builder untouched when a term is bad', () => {
    const qb = db.from();
    expect(() => applyQ(qb, parseQ('siteCode:main foo:1'), resolver, dialect)).toThrow(QueryError);
    expect(qb.toSQL().bindings).toEqual([]);
  });

  it('rejects JSON keys a hand-written resolver did not validate', () => {
    const evil = (): { type: 'json'; column: string; path: string[] } => ({
      type: 'json',
      column: 't.mixins',
      path: ['x"', ') OR 1=1 --'],
    });
    expect(() => compileTerm({ field: 'x', position: 0, cond: { op: 'exists' } }, evil, dialect)).toThrow(/^q: invalid key "x""/);
  });

  it('refuses a column expression containing a placeholder', () => {
    const bad = makeResolver({ columns: { x: { column: 't.id = ?', kind: 'string' } } });
    expect(() => compileTerm(parseQ('x:1')[0] as QTerm, bad, dialect)).toThrow(Error);
  });
});

describe(`bound parameters (${dialect})`, () => {
  it('never puts user text into the SQL', () => {
    const qb = db.from();
    const q = `name.en:"x' OR '1'='1" mixins.seg.tier:~"%' --" siteCode:(a,"b'c") mixins.seg.level:>5`;
    applyQ(qb, parseQ(q), resolver, dialect);
    const { sql, bindings } = qb.toSQL();
    expect(sql).not.toMatch(/OR '1'='1|--|b'c/);
    expect(bindings).toEqual(expect.arrayContaining([`x' OR '1'='1`, `%!%' --%`, 'a', "b'c", 5, '$."seg"."level"']));
  });

  it('the table survives a DROP TABLE attempt', async () => {
    await match(`siteCode:"x'; DROP TABLE ${db.table}; --"`);
    expect(await match('')).toEqual(ALL);
  });
});

cases('groups, OR and NOT', [
  ['(status:ACTIVE siteCode:main) OR (score:>50)', ['a', 'A']],
  ['(siteCode:main) OR (siteCode:x) OR (siteCode:null)', ['a', 'c', 'd']],
  ['NOT status:ACTIVE', ['c', 'd', 'A']],
  // A missing value does not match, so NOT keeps the row (SQL's NOT NULL would drop it).
  ['NOT mixins.seg.tier:gold', except('a')],
  ['NOT siteCode:main', except('a')],
  ['NOT (status:ACTIVE) OR (score:<0)', ['c', 'A']],
  ['status:ACTIVE NOT (mixins.seg.vip:true) OR (score:0)', ['b']],
]);

describe(`relative instants (${dialect})`, () => {
  async function matchAt(q: string, now: number): Promise<string[]> {
    const qb = db.from();
    applyQ(qb, parseQ(q), resolver, dialect, now);
    const rows: { id: string }[] = await qb;
    return rows.map((r) => r.id).sort();
  }
  const at = Date.parse('2024-06-11T12:00:00Z');

  it('on instant columns: now, now-Nd, now+Nh', async () => {
    expect(await matchAt('validity.from:>=now-10d', at)).toEqual(['b', 'e']);
    expect(await matchAt('validity.from:(>=now-200d AND <=now)', at)).toEqual(['a', 'b', 'd']);
    expect(await matchAt('validity.from:(>=now-100d AND <=now)', at)).toEqual(['b']);
    expect(await matchAt('validity.from:>now+1w', at)).toEqual(['e']);
  });

  it('the same rule answers differently as the clock crosses its boundary', async () => {
    const boundary = Date.parse('2024-06-01T12:00:00Z') + 10 * 86_400_000;
    expect(await matchAt('validity.from:>=now-10d', boundary)).toEqual(['b', 'e']);
    expect(await matchAt('validity.from:>=now-10d', boundary + 1)).toEqual(['e']);
  });

  it('a quoted "now" is text; a bad unit is a 400 naming the field', async () => {
    await expect(matchAt('validity.from:>"now-1d"', at)).rejects.toThrow(/expects an ISO-8601 date-time/);
    await expect(matchAt('validity.from:>now-1y', at)).rejects.toThrow(/validity.from/);
  });
});
