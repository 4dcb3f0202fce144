import { SCOPE } from '../../auth/scopes';
import { hasScope, type Viewer } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { visibleSegments } from '../segments/segment.access';
import type { SegmentRecord } from '../segments/segment.type';
import { checkId } from '../shared/validate';

/**
 * The segment whose items a reader asks for, or null when it is missing or not visible
 * (docs/behaviour.md "What segment_read_own sees": items only of the active segments the caller
 * belongs to). `legalEntityId` narrows B2B membership for read_own callers.
 */
export async function findVisibleSegment(
  ctx: Context,
  viewer: Viewer,
  segmentId: string,
  legalEntityId: string | null | undefined,
): Promise<SegmentRecord | null> {
  checkId(segmentId, 'segmentId');
  const visibility = visibleSegments(viewer, { legalEntityId }, ctx.now);
  if (hasScope(viewer, SCOPE.read)) return ctx.loaders.segmentById.load(segmentId);
  const filter = { ...visibility, ids: [segmentId] };
  const [hit] = await ctx.services.segments.list(viewer.tenant, filter, [], { pageNumber: 1, pageSize: 1, offset: 0 });
  return hit ?? null;
}
