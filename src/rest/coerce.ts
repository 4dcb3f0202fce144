import { coerceInputValue, type GraphQLInputType, isInputObjectType, isListType, isNonNullType } from 'graphql';
import { BadInputError } from '../graphql/errors';

/**
 * REST bodies may carry what the contract's schemas allow but our inputs don't declare
 * (`metadata.createdAt` of a fetched document sent back, `id` in a PUT body, extensions of the
 * client's own): they are dropped here, before GraphQL would reject them as unknown fields.
 */
export function prune(value: unknown, type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return prune(value, type.ofType);
  if (value === null || value === undefined) return value;
  if (isListType(type)) return Array.isArray(value) ? value.map((v) => prune(v, type.ofType)) : prune(value, type.ofType);
  if (isInputObjectType(type) && typeof value === 'object' && !Array.isArray(value)) {
    const fields = type.getFields();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k in fields) out[k] = prune(v, fields[k].type);
    return out;
  }
  return value;
}

function fieldPath(root: string, path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), root);
}

/**
 * GraphQL's own input coercion, with its complaint turned into a 400 that names the field the
 * way a REST client wrote it (`validity.from`, `[2].status`). Returns the pruned input.
 */
export function checkVariable(value: unknown, type: GraphQLInputType, root: string): unknown {
  let failure: BadInputError | undefined;
  const pruned = prune(value, type);
  coerceInputValue(pruned, type, (path, _invalid, error) => {
    if (failure) return;
    const missing = /^Field "([^"]+)" of required type "[^"]+" was not provided\.$/.exec(error.message);
    if (missing) {
      const field = fieldPath(root, [...path, missing[1]]);
      failure = new BadInputError(`${field || missing[1]} is required`, field || missing[1]);
      return;
    }
    const field = fieldPath(root, path) || 'body';
    const reason = error.message.replace(/^Expected type "([^"]+)"\.?\s*/, (_m, t: string) => `expected ${t}. `).trim();
    failure = new BadInputError(`${field}: ${reason || 'invalid value'}`, field);
  });
  if (failure) throw failure;
  // execute() coerces the raw value itself; handing it the pruned input keeps one source of truth.
  return pruned;
}
