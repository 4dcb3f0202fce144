import { Resolver } from 'type-graphql';

/** Stub: filled in by the issue-3 work on this module. */
@Resolver()
export class CatalogResolver {}

/** Every resolver class of this module, registered in graphql/schema.ts. */
export const catalogResolvers = [CatalogResolver] as const;
