import type { Database } from '../../db/knex';
import type { SegmentRepository } from '../segments/segment.repository';

/** Stub: filled in by the issue-3 work on this module. */
export class ItemAssignmentRepository {
  constructor(
    protected readonly db: Database,
    protected readonly segments: SegmentRepository,
  ) {}
}
