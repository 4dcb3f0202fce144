import type { SegmentFieldsFragment } from './__generated__/operations';

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
  });
}
