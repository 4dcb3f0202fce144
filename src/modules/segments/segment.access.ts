import { SCOPE } from '../../auth/scopes';
import { hasScope, type Viewer } from '../../auth/viewer';
import { ForbiddenError } from '../../errors';
import { checkId } from '../shared/validate';
import type { SegmentFilter } from './segment.repository';

export interface MembershipArgs {
  customerId?: string | null;
  legalEntityId?: string | null;
}

/**
 * What a reader may see (docs/behaviour.md "What segment_read_own sees" and "customerId for
 * administrators"): `segment_read` sees everything and may filter by any customer;
 * `segment_read_own` alone sees only the active segments it belongs to.
 */
export function visibleSegments(viewer: Viewer, args: MembershipArgs): Pick<SegmentFilter, 'member' | 'activeOnly'> {
  const legalEntityId = args.legalEntityId == null ? undefined : checkId(args.legalEntityId, 'legalEntityId');
  if (hasScope(viewer, SCOPE.read)) {
    if (args.customerId == null) return {};
    return { member: { customerId: checkId(args.customerId, 'customerId'), legalEntityId } };
  }
  if (args.customerId != null) throw new ForbiddenError('The customerId parameter needs the customersegment.segment_read scope.');
  return { member: ownMembership(viewer, legalEntityId), activeOnly: true };
}

export function ownMembership(viewer: Viewer, legalEntityId?: string): { customerId: string; legalEntityId?: string } {
  if (!viewer.customerId) throw new ForbiddenError('The token carries no customer identity (customerId or sub).');
  return { customerId: viewer.customerId, legalEntityId: legalEntityId ?? viewer.legalEntityId };
}
