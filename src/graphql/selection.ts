import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

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
