/** Query parameters shared by REST and GraphQL: `q`, `sort`, `fields`, paging. */
export { QueryError, parseQ, MAX_Q_LENGTH, MAX_Q_TERMS } from './q-parser';
export type { QCondition, QLiteral, QTerm } from './q-parser';
export { makeResolver } from './fields';
export type { ColumnField, Dialect, FieldKind, FieldResolver, JsonField, ResolvedField, ResolverSpec } from './fields';
export { applyQ, jsonValueSql } from './q-compile';
export { applySort, parseSort } from './sort';
export type { SortKey } from './sort';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parsePaging } from './paging';
export type { Paging } from './paging';
export { parseFields, project } from './projection';
