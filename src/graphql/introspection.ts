import { type DocumentNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Answers by operation node: Apollo's document store hands a repeated query the same nodes, so
 * each request after the first is one lookup (asked on every operation, by the executor).
 */
const answers = new WeakMap<OperationDefinitionNode, boolean>();

/** True when the operation reads only `__schema`, `__type` and `__typename`. */
export function isIntrospectionOnly(doc: DocumentNode, op: OperationDefinitionNode): boolean {
  let answer = answers.get(op);
  if (answer === undefined) answers.set(op, (answer = introspectionOnly(doc, op)));
  return answer;
}

function introspectionOnly(doc: DocumentNode, op: OperationDefinitionNode): boolean {
  const fragments = new Map(
    doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const seen = new Set<string>();
  const check = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
      if (s.kind === Kind.INLINE_FRAGMENT) return check(s.selectionSet);
      if (seen.has(s.name.value)) return true;
      seen.add(s.name.value);
      const f = fragments.get(s.name.value);
      return f ? check(f.selectionSet) : false;
    });
  return op.operation === 'query' && check(op.selectionSet);
}
