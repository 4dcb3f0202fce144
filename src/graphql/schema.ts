import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { catalogResolvers } from '../modules/catalog/catalog.resolver';
import { customerAssignmentResolvers } from '../modules/customer-assignments/customer-assignment.resolver';
import { itemAssignmentResolvers } from '../modules/item-assignments/item-assignment.resolver';
import { SegmentPageResolver, SegmentResolver } from '../modules/segments/segment.resolver';
import { storefrontResolvers } from '../modules/storefront/storefront.resolver';

let built: GraphQLSchema | undefined;

/** The one schema GraphQL and REST both execute against; built once per process. */
export function getSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [
      SegmentResolver,
      SegmentPageResolver,
      ...catalogResolvers,
      ...customerAssignmentResolvers,
      ...itemAssignmentResolvers,
      ...storefrontResolvers,
    ],
    // Argument and input validation on (TypeGraphQL's default is off).
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
  return built;
}

/** The committed SDL (schema/schema.graphql): sorted, so it only changes when the API does. */
export function printedSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema())) + '\n';
}
