import fc from 'fast-check';
import { parseFields, project } from '../../src/query/projection';
import { QueryError } from '../../src/query/q-parser';

describe('parseFields', () => {
  it('splits comma-separated dot paths', () => {
    expect(parseFields('id,name.en,metadata.version')).toEqual([['id'], ['name', 'en'], ['metadata', 'version']]);
    expect(parseFields(' id , mixins.seg-1.a_b ,')).toEqual([['id'], ['mixins', 'seg-1', 'a_b']]);
  });

  it('returns null when absent or empty', () => {
    expect(parseFields(undefined)).toBeNull();
    expect(parseFields(null)).toBeNull();
    expect(parseFields('')).toBeNull();
    expect(parseFields(' , ')).toBeNull();
  });

  it.each(['name.', '.name', 'a..b', 'na me', 'name.e$n', 'a.b"c', 'x'.repeat(4001)])('rejects %p', (f) => {
    let err: unknown;
    try {
      parseFields(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).field).toBe('fields');
    expect((err as QueryError).message).toMatch(/^fields: (invalid path|too long)/);
  });
});

describe('project', () => {
  const segment = {
    id: 's1',
    name: { en: 'Gold', de: 'Gold DE' },
    description: null,
    status: 'ACTIVE',
    validity: { from: '2024-01-01T00:00:00.000Z', to: '2025-01-01T00:00:00.000Z' },
    mixins: { seg: { tier: 'gold', tags: ['a'] } },
    categories: [{ id: 'c1', name: { en: 'One' } }, { id: 'c2', name: { en: 'Two' } }, { name: { en: 'no id' } }],
    metadata: { version: 3, createdAt: '2024-01-01T00:00:00.000Z' },
  };
  const keepId = [['id']];

  it('keeps everything without a projection', () => {
    expect(project(segment, null, keepId)).toBe(segment);
  });

  it('keeps only the listed paths, with their nesting, plus alwaysKeep', () => {
    expect(project(segment, [['name', 'en'], ['metadata', 'version'], ['status']], keepId)).toEqual({
      id: 's1',
      name: { en: 'Gold' },
      status: 'ACTIVE',
      metadata: { version: 3 },
    });
  });

  it('keeps whole subtrees, and a shorter path wins over a longer one in any order', () => {
    const expected = { id: 's1', validity: segment.validity };
    expect(project(segment, [['validity'], ['validity', 'from']], keepId)).toEqual(expected);
    expect(project(segment, [['validity', 'from'], ['validity']], keepId)).toEqual(expected);
  });

  it('keeps null values and leaves absent paths absent', () => {
    expect(
      project(segment, [['description'], ['nope'], ['name', 'fr'], ['status', 'x'], ['mixins', 'seg', 'none']], keepId),
    ).toEqual({
      id: 's1',
      description: null,
    });
  });

  it('projects arrays element-wise', () => {
    expect(project(segment, [['categories', 'id']], [])).toEqual({
      categories: [{ id: 'c1' }, { id: 'c2' }, {}],
    });
    expect(project(segment, [['mixins', 'seg', 'tags']], [])).toEqual({ mixins: { seg: { tags: ['a'] } } });
    expect(project([{ id: 1, x: 2 }, { id: 3 }], [['x']], [['id']])).toEqual([{ id: 1, x: 2 }, { id: 3 }]);
  });

  it('returns {} when nothing is kept, and does not touch the input', () => {
    const copy = JSON.parse(JSON.stringify(segment)) as typeof segment;
    expect(project(segment, [['nope']], [])).toEqual({});
    expect(segment).toEqual(copy);
  });

  it('does not follow or write prototype members', () => {
    const out = project({ id: 'x', a: { b: 1 } }, [['__proto__', 'polluted'], ['constructor'], ['toString']], keepId);
    expect(out).toEqual({ id: 'x' });
    const own = JSON.parse('{"__proto__": {"polluted": true}, "id": "y"}') as Record<string, unknown>;
    const projected = project(own, [['__proto__']], []) as Record<string, unknown>;
    expect(Object.getPrototypeOf(projected)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(projected, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a projected document only holds requested paths (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const doc = fc.dictionary(key, fc.oneof(fc.integer(), fc.dictionary(key, fc.oneof(fc.integer(), fc.constant(null)))));
    const paths = fc.array(fc.array(key, { minLength: 1, maxLength: 3 }), { maxLength: 4 });
    fc.assert(
      fc.property(doc, paths, (d, ps) => {
        const out = project(d, ps, []);
        const leaves = (v: unknown, prefix: string[]): string[][] =>
          typeof v === 'object' && v !== null && Object.keys(v).length > 0
            ? Object.entries(v).flatMap(([k, x]) => leaves(x, [...prefix, k]))
            : [prefix];
        for (const leaf of leaves(out, [])) {
          if (leaf.length === 0) continue;
          // Every kept leaf lies under (or is an ancestor-complete copy of) a requested path.
          expect(ps.some((p) => p.every((k, i) => i >= leaf.length || leaf[i] === k))).toBe(true);
        }
      }),
    );
  });
});
