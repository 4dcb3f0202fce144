import { SCOPE } from '../../auth/scopes';
import { hasScope, type Viewer } from '../../auth/viewer';
import { BadInputError, ForbiddenError } from '../../errors';
import { checkId } from '../shared/validate';
import type { Membership, SegmentFilter } from './segment.repository';

export interface MembershipArgs {
  customerId?: string | null;
  legalEntityId?: string | null;
  /** Answer as at this instant (time-bound memberships, and segment validity where configured). */
  at?: Date | null;
}

/**
 * What a reader may see (docs/behaviour.md "What segment_read_own sees" and "customerId for
 * administrators"): `segment_read` sees everything and may filter by any customer;
 * `segment_read_own` alone sees only the active segments it belongs to.
 */
export function visibleSegments(viewer: Viewer, args: MembershipArgs, now: number): Pick<SegmentFilter, 'member' | 'activeOnly'> {
  const legalEntityId = args.legalEntityId == null ? undefined : checkId(args.legalEntityId, 'legalEntityId');
  const at = instant(args.at);
  if (hasScope(viewer, SCOPE.read)) {
    if (args.customerId == null) return {};
    // An administrator sees every assignment of the customer, unless asking "as at".
    return { member: { customerId: checkId(args.customerId, 'customerId'), legalEntityId, at } };
  }
  if (args.customerId != null) throw new ForbiddenError('The customerId parameter needs the customersegment.segment_read scope.');
  return { member: ownMembership(viewer, legalEntityId, at ?? now), activeOnly: true };
}

/**
 * The caller's own membership (segment_read_own): what it gets, so assignments count only while
 * valid — now, or at the instant asked for.
 */
export function ownMembership(viewer: Viewer, legalEntityId: string | undefined, at: number): Membership {
  if (!viewer.customerId) throw new ForbiddenError('The token carries no customer identity (customerId or sub).');
  return { customerId: viewer.customerId, legalEntityId: legalEntityId ?? viewer.legalEntityId, at };
}

/** The `at` argument's description, wherever a membership read takes one. */
export const AT_DESCRIPTION =
  'Answer as at this instant: time-bound assignments (and segment validity where ACTIVE_REQUIRES_VALIDITY is on). Default now.';

/** An `at` argument (a Date from GraphQL) as epoch ms. */
export function instant(at: Date | null | undefined): number | undefined {
  if (at == null) return undefined;
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new BadInputError('at must be an ISO-8601 date-time', 'at');
  return ms;
}
