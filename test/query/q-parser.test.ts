import fc from 'fast-check';
import { isTerm, MAX_Q_LENGTH, MAX_Q_NESTING, MAX_Q_TERMS, parseQ, QueryError, termsOf } from '../../src/query/q-parser';
import type { QCondition, QNode, QTerm } from '../../src/query/q-parser';

const lit = (text: string, quoted = false) => ({ text, quoted });
const cond = (q: string): QCondition => {
  const terms = parseQ(q);
  expect(terms).toHaveLength(1);
  return asTerm(terms[0]).cond;
};
const asTerm = (n: QNode): QTerm => {
  if (!isTerm(n)) throw new Error(`not a term: ${JSON.stringify(n)}`);
  return n;
};
const error = (q: string): QueryError => {
  try {
    parseQ(q);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    expect((e as QueryError).field).toBe('q');
    expect((e as QueryError).message.startsWith('q: ')).toBe(true);
    return e as QueryError;
  }
  throw new Error(`parseQ(${JSON.stringify(q)}) did not throw`);
};

describe('parseQ: terms', () => {
  it('returns [] for empty or blank input', () => {
    expect(parseQ('')).toEqual([]);
    expect(parseQ('   \t\n ')).toEqual([]);
  });

  it('ANDs whitespace-separated terms and records field and position', () => {
    expect(parseQ('  status:ACTIVE\tname.en:Gold  ')).toEqual([
      { field: 'status', position: 2, cond: { op: 'eq', value: lit('ACTIVE') } },
      { field: 'name.en', position: 16, cond: { op: 'eq', value: lit('Gold') } },
    ]);
  });

  it('accepts dot paths, digits, _ and - in field names', () => {
    const t = asTerm(parseQ('mixins.segment_Attributes.member-ship2:x')[0]);
    expect(t.field).toBe('mixins.segment_Attributes.member-ship2');
  });
});

describe('parseQ: values', () => {
  it('exact match with a bare value (case kept, colons and commas allowed)', () => {
    expect(cond('id:AbC')).toEqual({ op: 'eq', value: lit('AbC') });
    expect(cond('validity.from:2024-01-01T00:00:00Z')).toEqual({ op: 'eq', value: lit('2024-01-01T00:00:00Z') });
    expect(cond('x:a,b')).toEqual({ op: 'eq', value: lit('a,b') });
  });

  it('quoted values keep spaces and unescape \\" and \\\\', () => {
    expect(cond('name.en:"Gold members"')).toEqual({ op: 'eq', value: lit('Gold members', true) });
    expect(cond('x:"say \\"hi\\" \\\\ ok"')).toEqual({ op: 'eq', value: lit('say "hi" \\ ok', true) });
    expect(cond('x:""')).toEqual({ op: 'eq', value: lit('', true) });
    expect(cond('x:"a (b), c"')).toEqual({ op: 'eq', value: lit('a (b), c', true) });
  });

  it('null, exists, missing are keywords only when unquoted', () => {
    expect(cond('x:null')).toEqual({ op: 'null' });
    expect(cond('x:exists')).toEqual({ op: 'exists' });
    expect(cond('x:missing')).toEqual({ op: 'missing' });
    expect(cond('x:"null"')).toEqual({ op: 'eq', value: lit('null', true) });
    expect(cond('x:NULL')).toEqual({ op: 'eq', value: lit('NULL') });
  });

  it('true/false and numbers stay literals (typed by the compiler)', () => {
    expect(cond('x:true')).toEqual({ op: 'eq', value: lit('true') });
    expect(cond('x:-1.5e3')).toEqual({ op: 'eq', value: lit('-1.5e3') });
  });
});

describe('parseQ: lists', () => {
  it('parses any-of lists with bare and quoted values and spaces', () => {
    expect(cond('status:(ACTIVE,INACTIVE)')).toEqual({ op: 'in', values: [lit('ACTIVE'), lit('INACTIVE')] });
    expect(cond('x:( a , "c d" ,b )')).toEqual({ op: 'in', values: [lit('a'), lit('c d', true), lit('b')] });
    expect(cond('x:(one)')).toEqual({ op: 'in', values: [lit('one')] });
    expect(cond('x:(a;b,c:d)')).toEqual({ op: 'in', values: [lit('a;b'), lit('c:d')] });
  });
});

describe('parseQ: comparisons and ranges', () => {
  it.each([
    ['>', 'x:>5'],
    ['<', 'x:<5'],
    ['>=', 'x:>=5'],
    ['<=', 'x:<=5'],
  ])('single %s', (op, q) => {
    expect(cond(q)).toEqual({ op: 'cmp', parts: [{ cmp: op, value: lit('5') }] });
  });

  it('comparison with a quoted value', () => {
    expect(cond('validity.from:>="2024-01-01T00:00:00Z"')).toEqual({
      op: 'cmp',
      parts: [{ cmp: '>=', value: lit('2024-01-01T00:00:00Z', true) }],
    });
  });

  it('ranges AND several comparisons (AND is case-insensitive, spaces allowed)', () => {
    expect(cond('n:(>=1 AND <=10)')).toEqual({
      op: 'cmp',
      parts: [
        { cmp: '>=', value: lit('1') },
        { cmp: '<=', value: lit('10') },
      ],
    });
    expect(cond('n:( > 1 and < "9" AND <=8 )')).toEqual({
      op: 'cmp',
      parts: [
        { cmp: '>', value: lit('1') },
        { cmp: '<', value: lit('9', true) },
        { cmp: '<=', value: lit('8') },
      ],
    });
  });
});

describe('parseQ: text search', () => {
  const like = (text: string, anchorStart = false, anchorEnd = false) => ({ op: 'like', text, anchorStart, anchorEnd });

  it('contains, starts with, ends with, exact', () => {
    expect(cond('name.en:~gold')).toEqual(like('gold'));
    expect(cond('name.en:~^gold')).toEqual(like('gold', true));
    expect(cond('name.en:~gold$')).toEqual(like('gold', false, true));
    expect(cond('name.en:~^gold$')).toEqual(like('gold', true, true));
  });

  it('parenthesized text keeps spaces, nested parentheses and escapes', () => {
    expect(cond('x:~(gold members)')).toEqual(like('gold members'));
    expect(cond('x:~(^gold members$)')).toEqual(like('gold members', true, true));
    expect(cond('x:~^(gold members)$')).toEqual(like('gold members', true, true));
    expect(cond('x:~(f(x) = 1)')).toEqual(like('f(x) = 1'));
    expect(cond('x:~(a \\) b)')).toEqual(like('a ) b'));
    expect(cond('x:~(\\^lit\\$)')).toEqual(like('^lit$'));
  });

  it('quoted text is literal, anchors go outside', () => {
    expect(cond('x:~"50% off"')).toEqual(like('50% off'));
    expect(cond('x:~^"a b"$')).toEqual(like('a b', true, true));
    expect(cond('x:~"$5"')).toEqual(like('$5'));
  });

  it('%, _ and ! are passed through as text (escaped by the compiler)', () => {
    expect(cond('x:~100%_!')).toEqual(like('100%_!'));
  });
});

describe('parseQ: errors name the position and field', () => {
  it.each<[string, RegExp]>([
    ['name foo', /^q: expected ':' after field "name" at position 4$/],
    ['name', /^q: unexpected end of input at position 4: expected ':' after field "name"$/],
    ['name:', /^q: unexpected end of input at position 5: expected a value \(field "name"\)$/],
    ['name: x', /^q: expected a value \(field "name"\) at position 5$/],
    [':x', /^q: expected a field name at position 0$/],
    ['a:1 %x:2', /^q: expected a field name at position 4$/],
    [
      'name.en:"abc',
      /unexpected end of input at position 12: unterminated quoted value starting at position 8 \(field "name.en"\)/,
    ],
    ['x:"a"b', /expected whitespace after the value \(field "x"\) at position 5/],
    ['x:a"b', /unexpected '"' .*\(field "x"\) at position 3/],
    ['x:a(b', /unexpected '\(' .*at position 3/],
    ['x:(a,b', /unexpected end of input at position 6: expected ',' or '\)' \(field "x"\)/],
    ['x:(a b)', /expected ',' or '\)' \(field "x"\) at position 5/],
    ['x:()', /expected a value \(field "x"\) at position 3/],
    ['x:(a,)', /expected a value \(field "x"\) at position 5/],
    ['x:(a)b', /expected whitespace before the next term \(field "x"\) at position 5/],
    ['x:>', /unexpected end of input at position 3: expected a value/],
    ['x:> 5', /expected a value \(field "x"\) at position 3/],
    ['x:(>=1 <=5)', /expected 'AND' or '\)' \(field "x"\) at position 7/],
    ['x:(>=1 AND 5)', /expected a comparison .*at position 11/],
    ['x:(>=1 AND', /unexpected end of input at position 10/],
    ['x:~', /unexpected end of input at position 3: expected text after '~'/],
    ['x:~ y:1', /expected text after '~' \(field "x"\) at position 3/],
    ['x:~()', /expected text after '~'/],
    ['x:~^$', /expected text after '~'/],
    ['x:~(abc', /missing '\)' for '\(' at position 3/],
    ['x:~a(b', /unexpected '\(' .*at position 4/],
    ['x:~"a"b', /expected whitespace after the value/],
  ])('%s', (q, re) => {
    expect(error(q).message).toMatch(re);
  });

  it('limits length and number of terms', () => {
    expect(error('x:' + 'a'.repeat(MAX_Q_LENGTH)).message).toMatch(/too long/);
    expect(parseQ(Array.from({ length: MAX_Q_TERMS }, (_, i) => `f${i}:1`).join(' '))).toHaveLength(MAX_Q_TERMS);
    expect(error(Array.from({ length: MAX_Q_TERMS + 1 }, (_, i) => `f${i}:1`).join(' ')).message).toMatch(
      /too many terms \(at most 50\)/,
    );
  });
});

describe('parseQ: properties', () => {
  const only = (e: unknown): boolean => e instanceof QueryError && e.field === 'q' && e.message.startsWith('q: ');

  it('never throws anything but QueryError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          parseQ(s);
        } catch (e) {
          if (!only(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but QueryError on strings built from q syntax', () => {
    const token = fc.constantFrom(
      'a',
      'name.en',
      ':',
      '"',
      '\\',
      '(',
      ')',
      ',',
      '~',
      '^',
      '$',
      '>',
      '<',
      '=',
      ' ',
      'AND',
      'null',
      'x"y',
      '5',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (parts) => {
        try {
          const terms = termsOf(parseQ(parts.join('')));
          for (const t of terms) expect(typeof t.field).toBe('string');
        } catch (e) {
          if (!only(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips any quoted text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        const quoted = '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
        expect(parseQ(`f:${quoted}`)).toEqual([{ field: 'f', position: 0, cond: { op: 'eq', value: lit(s, true) } }]);
      }),
    );
  });
});

describe('parseQ: groups, OR and NOT (segment rules)', () => {
  const t = (field: string, position: number, text: string) => ({ field, position, cond: { op: 'eq', value: lit(text) } });

  it('a lone group, and groups joined by OR', () => {
    expect(parseQ('(a:1 b:2)')).toEqual([{ kind: 'or', position: 0, branches: [[t('a', 1, '1'), t('b', 5, '2')]] }]);
    expect(parseQ('(a:1) OR (b:2 c:3)  d:4')).toEqual([
      { kind: 'or', position: 0, branches: [[t('a', 1, '1')], [t('b', 10, '2'), t('c', 14, '3')]] },
      t('d', 20, '4'),
    ]);
  });

  it('NOT before a term or a group, and nested', () => {
    expect(parseQ('NOT a:1')).toEqual([{ kind: 'not', position: 0, item: t('a', 4, '1') }]);
    expect(parseQ('NOT (a:1) OR (b:2)')).toEqual([
      { kind: 'not', position: 0, item: { kind: 'or', position: 4, branches: [[t('a', 5, '1')], [t('b', 14, '2')]] } },
    ]);
    expect(parseQ('(NOT a:1 (b:2) OR (NOT c:3))')).toHaveLength(1);
  });

  it('a bare value or ~text ends at the ) that closes its group; lists and ranges still work inside', () => {
    expect(parseQ('(a:x)')).toEqual([{ kind: 'or', position: 0, branches: [[t('a', 1, 'x')]] }]);
    const ops = termsOf(parseQ('(n:~gold) OR (s:(A,B) v:(>=1 AND <5))')).map((x) => x.cond.op);
    expect(ops.sort()).toEqual(['cmp', 'in', 'like']);
  });

  it('every q that parsed before parses to the same terms (NOT/OR need whitespace to be operators)', () => {
    expect(parseQ('NOT:1 OR:2')).toEqual([t('NOT', 0, '1'), t('OR', 6, '2')]);
    expect(parseQ('name.en:~(a b) status:(ACTIVE,INACTIVE)')).toHaveLength(2);
  });

  it('refuses what is ambiguous or unfinished, naming the position', () => {
    expect(error('a:1 OR b:2').message).toMatch(/OR joins parenthesised groups/);
    expect(error('(a:1) OR b:2').message).toMatch(/expected '\(' after OR/);
    expect(error('(a:1').message).toMatch(/missing '\)' for '\(' at position 0/);
    expect(error('()').message).toMatch(/empty group/);
    expect(error('a:1)').message).toMatch(/unexpected '\)'/);
    expect(error('NOT ').message).toMatch(/after NOT/);
  });

  it('bounds nesting and counts terms inside groups', () => {
    const deep = (n: number) => `${'('.repeat(n)}a:1${')'.repeat(n)}`;
    expect(parseQ(deep(MAX_Q_NESTING))).toHaveLength(1);
    expect(error(deep(MAX_Q_NESTING + 1)).message).toMatch(/nested more than/);
    const many = `(${Array.from({ length: MAX_Q_TERMS + 1 }, (_, i) => `f${i}:1`).join(' ')})`;
    expect(error(many).message).toMatch(/too many terms/);
  });
});
