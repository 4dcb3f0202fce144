import type { Dialect } from '../../db/knex';
import { BadInputError } from '../../errors';
import type { FieldResolver } from '../../query/fields';
import { type Paging, parsePaging } from '../../query/paging';
import { compileQ } from '../../query/q-compile';
import type { Sql } from '../../query/json-sql';
import { parseQ, QueryError } from '../../query/q-parser';
import { parseSort, type SortKey } from '../../query/sort';

export interface ListArgs {
  q?: string | null;
  pageNumber?: number | null;
  pageSize?: number | null;
  sort?: string | null;
}

export interface ParsedList {
  /** The q terms, compiled once to bound SQL clauses for every query the listing runs. */
  where: Sql[];
  sort: SortKey[];
  paging: Paging;
}

/**
 * q, sort and paging checked once at the edge; a QueryError becomes a 400 naming its parameter.
 * The terms are compiled here too (and thrown away): a bad field or value (`status:FOO`,
 * `metadata.version:abc`) must be a 400 before any query runs, not a failure inside one.
 */
export function parseListArgs(args: ListArgs, fields: FieldResolver, dialect: Dialect): ParsedList {
  try {
    const nodes = args.q ? parseQ(args.q) : [];
    return {
      where: compileQ(nodes, fields, dialect),
      sort: parseSort(args.sort, fields, dialect),
      paging: parsePaging(args.pageNumber, args.pageSize),
    };
  } catch (e) {
    if (e instanceof QueryError) throw new BadInputError(e.message, e.field);
    throw e;
  }
}
