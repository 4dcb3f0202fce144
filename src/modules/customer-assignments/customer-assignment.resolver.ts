import { Resolver } from 'type-graphql';

/** Stub: filled in by the issue-3 work on this module. */
@Resolver()
export class CustomerAssignmentResolver {}

/** Every resolver class of this module, registered in graphql/schema.ts. */
export const customerAssignmentResolvers = [CustomerAssignmentResolver] as const;
