import { Field, ID, InputType, Int } from 'type-graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { ValidityInput } from '../segments/segment.inputs';

// The rules live in catalog.validation.ts, shared with the NDJSON import; these classes only
// give the elements their GraphQL shape.

@InputType({ description: 'A customer of the reference store. Fields not given are stored as null.' })
export class CustomerInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  lastName?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Attributes segment rules can read (customer.mixins.*).' })
  mixins?: Record<string, unknown> | null;

  @Field(() => [ID], {
    nullable: true,
    description: "When given, replaces the customer's legal entities (ids need not be known).",
  })
  legalEntityIds?: string[] | null;
}

@InputType({ description: 'A legal entity (company) of the reference store.' })
export class LegalEntityInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Attributes segment rules can read (legalEntity.mixins.*).' })
  mixins?: Record<string, unknown> | null;
}

@InputType({ description: 'A product of the reference store. Fields not given are stored as null.' })
export class ProductInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  code?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Language → text, or a string in the Content-Language.' })
  name?: unknown;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Attributes item rules can read (product.mixins.*).' })
  mixins?: Record<string, unknown> | null;

  @Field(() => [ID], { nullable: true, description: "When given, replaces the product's categories (ids need not be known)." })
  categoryIds?: string[] | null;
}

@InputType({ description: 'A category of the reference store. Fields not given are stored as null (published: true).' })
export class CategoryInput {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Null for a root. An id the store does not know yet is kept; the category is a root until it arrives.',
  })
  parentId?: string | null;

  @Field(() => String, { nullable: true })
  code?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Language → text, or a string in the Content-Language.' })
  name?: unknown;

  @Field(() => GraphQLJSON, { nullable: true })
  description?: unknown;

  @Field(() => GraphQLJSON, { nullable: true })
  slug?: unknown;

  @Field(() => [String], { nullable: true, description: 'External category numbers.' })
  ecn?: string[] | null;

  @Field(() => ValidityInput, { nullable: true })
  validity?: ValidityInput | null;

  @Field(() => Int, { nullable: true, description: 'Order among siblings (unset sorts last), then code.' })
  position?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Defaults to true.' })
  published?: boolean | null;
}
