import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { SegmentStatus } from './segment.type';

@InputType()
export class ValidityInput {
  @Field(() => GraphQLDateTimeISO, { nullable: true })
  from?: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  to?: Date | null;
}

@InputType({ description: 'Only `version` is read: the expected version for the optimistic lock.' })
export class MetadataInput {
  @Field(() => Int, { nullable: true })
  version?: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Mixin name → schema URL.' })
  mixins?: Record<string, unknown> | null;
}

@InputType({ description: 'A segment as written. `name` and `description` take a language map or a plain string.' })
export class SegmentInput {
  @Field(() => ID, { nullable: true, description: 'Optional on create (a fresh id is generated).' })
  id?: string | null;

  @Field(() => GraphQLJSON, { description: 'Language → text, or a string in the Content-Language.' })
  name!: unknown;

  @Field(() => GraphQLJSON, { nullable: true })
  description?: unknown;

  @Field(() => ValidityInput, { nullable: true })
  validity?: ValidityInput | null;

  @Field(() => SegmentStatus, { nullable: true, description: 'Defaults to INACTIVE.' })
  status?: SegmentStatus | null;

  @Field()
  siteCode!: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  mixins?: Record<string, unknown> | null;

  @Field(() => MetadataInput, { nullable: true })
  metadata?: MetadataInput | null;

  @Field(() => String, {
    nullable: true,
    description: 'q-language rule over customer.*/legalEntity.* fields (README "Segment rules"); null or "" for none.',
  })
  customerRule?: string | null;

  @Field(() => String, { nullable: true, description: 'q-language rule over product.*/category.* fields; null or "" for none.' })
  itemRule?: string | null;
}

@InputType({ description: 'One RFC 6902 operation on the segment document (paths like /name, /status, /mixins/a/b).' })
export class PatchOperationInput {
  @Field({ description: 'add, remove, replace, test, move or copy.' })
  op!: string;

  @Field()
  path!: string;

  @Field(() => GraphQLJSON, { nullable: true })
  value?: unknown;

  @Field(() => String, { nullable: true, description: 'Source path for move and copy.' })
  from?: string;
}

@ArgsType()
export class SegmentsArgs {
  @Field(() => String, { nullable: true, description: 'The q-language: `status:ACTIVE name.en:~gold`.' })
  q?: string;

  @Field(() => Int, { nullable: true, description: '1-based; default 1.' })
  pageNumber?: number;

  @Field(() => Int, { nullable: true, description: 'Default 60, at most 1000.' })
  pageSize?: number;

  @Field(() => String, { nullable: true, description: 'Comma-separated `path[:asc|desc]`, e.g. `name.en:desc,id`.' })
  sort?: string;

  @Field(() => ID, { nullable: true, description: 'Only segments this customer belongs to (needs segment_read).' })
  customerId?: string;

  @Field(() => ID, { nullable: true, description: 'Narrows B2B membership to one legal entity.' })
  legalEntityId?: string;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description:
      'With customerId, or for segment_read_own: answer as at this instant — time-bound memberships, and segment ' +
      'validity where ACTIVE_REQUIRES_VALIDITY is on. segment_read_own defaults to now.',
  })
  at?: Date;
}
