import { Field, ID, Int, InterfaceType, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { type LocalizedMap, Validity } from '../segments/segment.type';

/** Records of the reference store, as repositories return them. */
export interface CustomerRecord {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  mixins?: Record<string, unknown> | null;
}

export interface LegalEntityRecord {
  id: string;
  name: string | null;
  mixins?: Record<string, unknown> | null;
}

export interface ProductRecord {
  kind: 'PRODUCT';
  id: string;
  code: string | null;
  name: LocalizedMap | null;
  mixins?: Record<string, unknown> | null;
  /** False for an id the store does not know (an assignment may point at one). */
  known: boolean;
}

export interface CategoryRecord {
  kind: 'CATEGORY';
  id: string;
  parentId: string | null;
  code: string | null;
  name: LocalizedMap | null;
  description: LocalizedMap | null;
  slug: LocalizedMap | null;
  ecn: string[] | null;
  validity: Validity | null;
  position: number | null;
  published: boolean;
  known: boolean;
}

@ObjectType({ description: 'A legal entity (company) B2B customers act for.' })
export class LegalEntity {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Attributes segment rules can read (legalEntity.mixins.*).' })
  mixins?: Record<string, unknown> | null;
}

@ObjectType({ description: 'A customer from the reference store; only `id` is known for customers never imported.' })
export class Customer {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  firstName!: string | null;

  @Field(() => String, { nullable: true })
  lastName!: string | null;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Attributes segment rules can read (customer.mixins.*: country, tier, totalSpent, lastOrderAt, …).',
  })
  mixins?: Record<string, unknown> | null;
}

/** The GraphQL type of an item record: records carry their kind. */
export const itemTypeName = (value: { kind?: string }): 'Category' | 'Product' =>
  value.kind === 'CATEGORY' ? 'Category' : 'Product';

@InterfaceType({
  description: 'Something a segment can be assigned: a product or a category.',
  resolveType: itemTypeName,
})
export abstract class Item {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  code!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Language → text; follows Accept-Language.' })
  name!: LocalizedMap | null;

  @Field({ description: 'False when the reference store does not know this id.' })
  known!: boolean;
}

@ObjectType({ implements: Item, description: 'A product from the reference store.' })
export class Product extends Item {
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Attributes item rules can read (product.mixins.*).' })
  mixins?: Record<string, unknown> | null;
}

@ObjectType({ implements: Item, description: 'A category from the reference store.' })
export class Category extends Item {
  @Field(() => ID, { nullable: true })
  parentId!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  description!: LocalizedMap | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  slug!: LocalizedMap | null;

  @Field(() => [String], { nullable: true, description: 'External category numbers.' })
  ecn!: string[] | null;

  @Field(() => Validity, { nullable: true })
  validity!: Validity | null;

  @Field(() => Int, { nullable: true })
  position!: number | null;

  @Field()
  published!: boolean;
}
