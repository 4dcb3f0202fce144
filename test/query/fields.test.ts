import { jsonPath, makeResolver, resolveOrThrow } from '../../src/query/fields';
import { QueryError } from '../../src/query/q-parser';

const resolve = makeResolver({
  columns: {
    id: { column: 's.id', kind: 'string' },
    status: { type: 'column', column: 's.status', kind: 'enum', enumValues: ['ACTIVE', 'INACTIVE'] },
    'metadata.createdAt': { column: 's.created_at', kind: 'instant' },
  },
  aliases: { metadataCreatedAt: 'metadata.createdAt' },
  json: { name: 's.name', mixins: 's.mixins', 'mixins.special': 's.special' },
});

describe('makeResolver', () => {
  it('resolves columns and aliases', () => {
    expect(resolve('id')).toEqual({ type: 'column', column: 's.id', kind: 'string' });
    expect(resolve('metadataCreatedAt')).toEqual({ type: 'column', column: 's.created_at', kind: 'instant' });
    expect(resolve('status')).toMatchObject({ kind: 'enum', enumValues: ['ACTIVE', 'INACTIVE'] });
  });

  it('resolves JSON prefixes to key paths, longest prefix first', () => {
    expect(resolve('name.en')).toEqual({ type: 'json', column: 's.name', path: ['en'] });
    expect(resolve('mixins.segmentAttributes.membershipStatus')).toEqual({
      type: 'json',
      column: 's.mixins',
      path: ['segmentAttributes', 'membershipStatus'],
    });
    expect(resolve('mixins.special.x')).toEqual({ type: 'json', column: 's.special', path: ['x'] });
  });

  it('knows nothing else, including prototype member names', () => {
    for (const f of ['name', 'mixins', 'names.en', 'ID', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(resolve(f)).toBeUndefined();
    }
  });
});

describe('resolveOrThrow', () => {
  it('names the parameter and the field', () => {
    expect(() => resolveOrThrow(resolve, 'foo', 'sort')).toThrow(new QueryError('sort: unknown field "foo"', 'sort'));
    expect(() => resolveOrThrow(resolve, 'name.', 'q')).toThrow(/^q: invalid key "" in field "name\."/);
    expect(() => resolveOrThrow(resolve, 'name.en us', 'q')).toThrow(/invalid key "en us"/);
    expect(resolveOrThrow(resolve, 'name.de-CH', 'q')).toEqual({ type: 'json', column: 's.name', path: ['de-CH'] });
  });

  it('builds quoted JSON paths only from valid keys', () => {
    expect(jsonPath(['segmentAttributes', 'member-ship_2'])).toBe('$."segmentAttributes"."member-ship_2"');
    expect(() => jsonPath(['a"b'])).toThrow(Error);
  });
});
