import { SCOPE } from '../../auth/scopes';
import { hasScope, requireScope } from '../../auth/viewer';
import { ForbiddenError } from '../../errors';
import type { Context } from '../../graphql/context';
import { instant, ownMembership } from '../segments/segment.access';
import { checkId } from '../shared/validate';
import type { TreeRequest } from './tree-cache';

/**
 * Who may ask for whose category trees, for GraphQL's categoryTrees and the REST route alike: a
 * customer token gets its own (for its legal entity, or the one named); a caller with
 * segment_read may name any customerId.
 */
export function treeRequest(
  ctx: Context,
  args: { siteCode?: string | null; legalEntityId?: string | null; customerId?: string | null; at?: Date | null },
): TreeRequest {
  const viewer = requireScope(ctx.viewer, SCOPE.readOwn, SCOPE.read);
  const le = args.legalEntityId == null ? undefined : checkId(args.legalEntityId, 'legalEntityId');
  const at = instant(args.at) ?? ctx.now;
  let member;
  if (args.customerId != null && args.customerId !== viewer.customerId) {
    if (!hasScope(viewer, SCOPE.read)) throw new ForbiddenError('customerId needs the customersegment.segment_read scope.');
    member = { customerId: checkId(args.customerId, 'customerId'), legalEntityId: le, at };
  } else {
    member = ownMembership(viewer, le, at);
  }
  return { tenant: viewer.tenant, member, siteCode: args.siteCode ?? undefined, at };
}
