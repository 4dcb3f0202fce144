import type { AnyRoute } from '../adapter';

/** Stub: the rows for this tag of the contract come with the issue-3 work. */
export const customerAssignmentRoutes: AnyRoute[] = [];
