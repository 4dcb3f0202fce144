import 'reflect-metadata';
import { type GraphQLSchema, isInterfaceType, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { catalogResolvers } from '../modules/catalog/catalog.resolver';
import { itemTypeName } from '../modules/catalog/catalog.type';
import { customerAssignmentResolvers } from '../modules/customer-assignments/customer-assignment.resolver';
import { itemAssignmentResolvers } from '../modules/item-assignments/item-assignment.resolver';
import { SegmentPageResolver, SegmentResolver } from '../modules/segments/segment.resolver';
import { storefrontResolvers } from '../modules/storefront/storefront.resolver';
import { ruleResolvers } from '../modules/rules/rule.resolver';

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
      ...ruleResolvers,
    ],
    // Argument and input validation on (TypeGraphQL's default is off).
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
  // TypeGraphQL wraps every resolveType in an async function; graphql-jit (the REST adapter's
  // executor) needs a synchronous one. Items carry their kind, so this one is trivially sync.
  const item = built.getType('Item');
  if (isInterfaceType(item)) item.resolveType = itemTypeName;
  return built;
}

/** The committed SDL (schema/schema.graphql): sorted, so it only changes when the API does. */
export function printedSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema())) + '\n';
}
