import { Resolver } from 'type-graphql';

/** Stub: filled in by the issue-3 work on this module. */
@Resolver()
export class ItemAssignmentResolver {}

/** Every resolver class of this module, registered in graphql/schema.ts. */
export const itemAssignmentResolvers = [ItemAssignmentResolver] as const;
