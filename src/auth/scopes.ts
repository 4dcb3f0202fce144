/**
 * The three scopes of the Customer Segment Service, spelled as the platform issues them.
 * docs/behaviour.md: scopes are independent — `segment_manage` does not imply `segment_read`.
 */
export const SCOPE = {
  manage: 'customersegment.segment_manage',
  read: 'customersegment.segment_read',
  readOwn: 'customersegment.segment_read_own',
} as const;

export type Scope = (typeof SCOPE)[keyof typeof SCOPE];

export const ALL_SCOPES: readonly Scope[] = [SCOPE.manage, SCOPE.read, SCOPE.readOwn];
