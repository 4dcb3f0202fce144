import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * Whether the field being resolved selects `name` directly below it (through fragments and
 * inline fragments too). A resolver asks this to skip work whose result nobody reads. `@skip` /
 * `@include` are not evaluated: a field under them counts as selected, which only costs the work.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const stack: SelectionSetNode[] = [];
  for (const node of info.fieldNodes) if (node.selectionSet) stack.push(node.selectionSet);
  const visited = new Set<string>();
  while (stack.length) {
    for (const s of (stack.pop() as SelectionSetNode).selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value === name) return true;
      } else if (s.kind === Kind.INLINE_FRAGMENT) stack.push(s.selectionSet);
      else if (!visited.has(s.name.value)) {
        visited.add(s.name.value);
        const f = info.fragments[s.name.value];
        if (f) stack.push(f.selectionSet);
      }
    }
  }
  return false;
}

const ID_ONLY = new WeakMap<readonly FieldNode[], boolean>();

/**
 * Whether the field being resolved selects nothing but `id` (and `__typename`) of its object:
 * then an object whose id the parent already holds needs no lookup. Conservative: a fragment
 * counts as more. Answered once per field of a compiled operation (its field nodes).
 */
export function selectsIdOnly(info: GraphQLResolveInfo): boolean {
  let known = ID_ONLY.get(info.fieldNodes);
  if (known === undefined) {
    known = info.fieldNodes.every(
      (node) =>
        node.selectionSet?.selections.every(
          (s) => s.kind === Kind.FIELD && (s.name.value === 'id' || s.name.value === '__typename'),
        ) ?? false,
    );
    ID_ONLY.set(info.fieldNodes, known);
  }
  return known;
}
