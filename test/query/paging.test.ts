import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parsePaging } from '../../src/query/paging';
import { QueryError } from '../../src/query/q-parser';

function pagingError(pageNumber: unknown, pageSize: unknown): QueryError {
  try {
    parsePaging(pageNumber, pageSize);
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    return e as QueryError;
  }
  throw new Error('did not fail');
}

describe('parsePaging', () => {
  it('defaults to page 1 of 60', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(60);
    expect(MAX_PAGE_SIZE).toBe(1000);
    for (const v of [undefined, null, '', '  ']) {
      expect(parsePaging(v, v)).toEqual({ pageNumber: 1, pageSize: 60, offset: 0 });
    }
  });

  it('accepts numbers and numeric strings', () => {
    expect(parsePaging(3, 25)).toEqual({ pageNumber: 3, pageSize: 25, offset: 50 });
    expect(parsePaging('3', ' 25 ')).toEqual({ pageNumber: 3, pageSize: 25, offset: 50 });
    expect(parsePaging('+2', '1000')).toEqual({ pageNumber: 2, pageSize: 1000, offset: 1000 });
    expect(parsePaging(1, 1)).toEqual({ pageNumber: 1, pageSize: 1, offset: 0 });
    expect(parsePaging(1_000_000, 10).offset).toBe(9_999_990);
  });

  it.each<[unknown, unknown, string, RegExp]>([
    [0, undefined, 'pageNumber', /^pageNumber: must be at least 1, got 0$/],
    ['-1', undefined, 'pageNumber', /^pageNumber: must be at least 1, got -1$/],
    ['1.5', undefined, 'pageNumber', /^pageNumber: must be an integer, got "1.5"$/],
    [1.5, undefined, 'pageNumber', /^pageNumber: must be an integer, got 1.5$/],
    ['abc', undefined, 'pageNumber', /must be an integer, got "abc"/],
    ['1e3', undefined, 'pageNumber', /must be an integer/],
    [Number.NaN, undefined, 'pageNumber', /must be an integer/],
    [true, undefined, 'pageNumber', /must be an integer, got boolean/],
    [[1], undefined, 'pageNumber', /must be an integer, got object/],
    ['9'.repeat(30), undefined, 'pageNumber', /^pageNumber: too large/],
    [Number.MAX_SAFE_INTEGER, 1000, 'pageNumber', /^pageNumber: too large/],
    [undefined, 0, 'pageSize', /^pageSize: must be between 1 and 1000, got 0$/],
    [undefined, '1001', 'pageSize', /^pageSize: must be between 1 and 1000, got 1001$/],
    [undefined, '10x', 'pageSize', /^pageSize: must be an integer, got "10x"$/],
    [undefined, 'x'.repeat(100), 'pageSize', /got "x{40}\.\.\."$/],
  ])('rejects pageNumber=%p pageSize=%p', (n, s, field, re) => {
    const e = pagingError(n, s);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(re);
  });
});
