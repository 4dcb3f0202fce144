/**
 * A client mistake in a query parameter (`q`, `sort`, `fields`, `pageSize`, `pageNumber`): the
 * REST and GraphQL layers turn it into a 400 / BAD_USER_INPUT. `field` names the request
 * parameter at fault; the message says what is wrong and where, and never holds SQL.
 *
 * Defined here (not in q-parser.ts) so every module of src/query can throw it without an import
 * cycle; q-parser.ts re-exports it, which is where callers are told to import it from.
 */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
