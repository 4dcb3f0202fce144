import type {
  CustomerAssignmentFieldsFragment,
  ItemAssignmentFieldsFragment,
  SegmentFieldsFragment,
} from './__generated__/operations';

/** Copies the keys whose values are set: the contract's schemas have no nullable fields. */
function present<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out as Partial<T>;
}

/** SegmentResponse of the contract. */
export function segmentBody(s: SegmentFieldsFragment): Record<string, unknown> {
  const validity = s.validity ? present({ from: s.validity.from, to: s.validity.to }) : undefined;
  return present({
    id: s.id,
    name: s.name,
    description: s.description,
    validity: validity && Object.keys(validity).length ? validity : undefined,
    status: s.status,
    siteCode: s.siteCode,
    mixins: s.mixins,
    metadata: present({ ...s.metadata, __typename: undefined }),
    // Extensions of the contract's segment (README "Segment rules"); absent without a rule.
    customerRule: s.customerRule,
    itemRule: s.itemRule,
  });
}

/** A category-tree node as the REST answer nests it (GraphQL selects a fixed depth). */
export interface TreeNodeData {
  id: string;
  parentId?: string | null;
  code?: string | null;
  name?: Record<string, unknown> | null;
  localizedDescription?: Record<string, unknown> | null;
  localizedSlug?: Record<string, unknown> | null;
  ecn?: string[] | null;
  validity?: { from?: string | null; to?: string | null } | null;
  position?: number | null;
  published: boolean;
  isSegmentAssigned: boolean;
  subcategories?: TreeNodeData[] | null;
}

/** CategoryTreeResponse item; `code` and `name` are required there, so unknown ones are empty. */
export function categoryNodeBody(n: TreeNodeData): Record<string, unknown> {
  const validity = n.validity ? present({ from: n.validity.from, to: n.validity.to }) : undefined;
  return present({
    id: n.id,
    parentId: n.parentId,
    code: n.code ?? '',
    name: n.name ?? {},
    localizedDescription: n.localizedDescription,
    localizedSlug: n.localizedSlug,
    ecn: n.ecn,
    validity: validity && Object.keys(validity).length ? validity : undefined,
    position: n.position,
    published: n.published,
    isSegmentAssigned: n.isSegmentAssigned,
    subcategories: n.subcategories?.length ? n.subcategories.map(categoryNodeBody) : undefined,
  });
}

/** ItemAssignmentResponse of the contract: the item embedded by id, with code and name when known. */
export function itemAssignmentBody(a: ItemAssignmentFieldsFragment): Record<string, unknown> {
  return present({
    segmentId: a.segmentId,
    item: present({ id: a.item.id, code: a.item.code, name: a.item.name }),
    type: a.type,
    mixins: a.mixins,
    // An extension of the contract (README "Time-bound membership"); absent when unset.
    validity: a.validity ? present({ from: a.validity.from, to: a.validity.to }) : undefined,
    metadata: present({ ...a.metadata, __typename: undefined }),
  });
}

/**
 * CustomerAssignmentResponse (CustomerAssignmentB2CResponse without a legal entity) of the
 * contract: customer and legal entity as the reference store knows them, the id alone otherwise.
 */
export function customerAssignmentBody(a: CustomerAssignmentFieldsFragment): Record<string, unknown> {
  return present({
    customer: present({ ...a.customer, __typename: undefined }),
    legalEntity: a.legalEntity ? present({ ...a.legalEntity, __typename: undefined }) : undefined,
    assignmentType: a.assignmentType,
    mixins: a.mixins,
    // An extension of the contract (README "Time-bound membership"); absent when unset.
    validity: a.validity ? present({ from: a.validity.from, to: a.validity.to }) : undefined,
    metadata: present({ ...a.metadata, __typename: undefined }),
  });
}
