import { type FieldNode, type GraphQLResolveInfo, Kind } from 'graphql';

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
