import {
  coerceInputValue,
  type GraphQLInputType,
  type GraphQLList,
  type GraphQLScalarType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { BadInputError } from '../errors';
import { limits } from '../limits';

/**
 * REST bodies may carry what the contract's schemas allow but our inputs don't declare
 * (`metadata.createdAt` of a fetched document sent back, `id` in a PUT body, extensions of the
 * client's own): they are dropped here, before GraphQL would reject them as unknown fields.
 *
 * JSON is also held to the contract's own types where GraphQL input coercion is looser: `ID`
 * accepts numbers and a list accepts a lone value, but the contract's ids are strings and its
 * lists arrays, so those are 400s naming the field.
 */
export function prune(value: unknown, type: GraphQLInputType, path: (string | number)[] = [], root = ''): unknown {
  if (isNonNullType(type)) return prune(value, type.ofType, path, root);
  if (value === null || value === undefined) return value;
  const field = () => fieldPath(root, path) || 'body';
  // The walk follows the input type, not the value: a scalar (a JSON field included) is returned
  // without descending, so the recursion is as deep as the type. The guard keeps it bounded
  // should the schema ever gain a self-referencing input type.
  const maxDepth = limits().bodyDepth;
  if (path.length > maxDepth) throw new BadInputError(`${field()}: nested more than ${maxDepth} levels deep`, field());
  if (isListType(type)) {
    if (!Array.isArray(value)) throw new BadInputError(`${field()} must be an array`, field());
    const item = scalarOfList(type);
    if (item) {
      // A list of scalars has nothing to drop (a JSON scalar is taken whole): only ids are checked,
      // without a path per element (a match sends 1,000).
      if (item.name === 'ID') {
        const i = value.findIndex((v) => v !== null && v !== undefined && typeof v !== 'string');
        if (i >= 0) prune(value[i], type.ofType, [...path, i], root);
      }
      return value;
    }
    return value.map((v, i) => prune(v, type.ofType, [...path, i], root));
  }
  if (isScalarType(type) && type.name === 'ID' && typeof value !== 'string') {
    throw new BadInputError(`${field()} must be a string`, field());
  }
  if (isInputObjectType(type) && typeof value === 'object' && !Array.isArray(value)) {
    const fields = type.getFields();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k in fields) out[k] = prune(v, fields[k].type, [...path, k], root);
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
  const pruned = prune(value, type, [], root);
  // A list of ids (a match sends 1,000) that is all strings: nothing the coercion could refuse.
  if (isStringList(pruned, type)) return pruned;
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

/** The scalar type a list type holds (its elements nullable or not), if it holds one. */
function scalarOfList(list: GraphQLList<GraphQLInputType>): GraphQLScalarType | undefined {
  const item = isNonNullType(list.ofType) ? list.ofType.ofType : list.ofType;
  return isScalarType(item) ? item : undefined;
}

/** Whether `value` is an array of strings for a list of ID or String (either nullable or not). */
function isStringList(value: unknown, type: GraphQLInputType): boolean {
  const list = isNonNullType(type) ? type.ofType : type;
  if (!isListType(list) || !Array.isArray(value)) return false;
  const item = scalarOfList(list);
  if (item?.name !== 'ID' && item?.name !== 'String') return false;
  return value.every((v) => typeof v === 'string');
}
