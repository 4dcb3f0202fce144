import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { MetadataInput, ValidityInput } from '../segments/segment.inputs';

@InputType({ description: 'A customer assignment as written: replaces `mixins` and `metadata.mixins`.' })
export class CustomerAssignmentInput {
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes, stored verbatim.' })
  mixins?: Record<string, unknown> | null;

  @Field(() => MetadataInput, { nullable: true, description: '`version` is the expected version (optimistic lock).' })
  metadata?: MetadataInput | null;

  @Field(() => ValidityInput, {
    nullable: true,
    description: 'Time-bound membership: what the customer gets counts it only while now ∈ [from, to).',
  })
  validity?: ValidityInput | null;
}

@InputType({ description: 'Which assignment: a customer, and the legal entity it acts for (omitted for B2C).' })
export class CustomerAssignmentKeyInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { nullable: true, description: 'Omit (or null) for a B2C assignment.' })
  legalEntityId?: string | null;
}

@InputType({ description: 'One element of a bulk customer-assignment upsert.' })
export class CustomerAssignmentBulkInput extends CustomerAssignmentInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { nullable: true, description: 'Omit (or null) for a B2C assignment.' })
  legalEntityId?: string | null;
}

@ArgsType()
export class SegmentCustomersArgs {
  @Field(() => String, {
    nullable: true,
    description:
      'The q-language over `customer.id` (alias `customerId`), `legalEntity.id` (alias `legalEntityId`), `assignmentType`, `mixins.*`, `metadata.*`.',
  })
  q?: string;

  @Field(() => Int, { nullable: true, description: '1-based; default 1.' })
  pageNumber?: number;

  @Field(() => Int, { nullable: true, description: 'Default 60, at most 1000.' })
  pageSize?: number;

  @Field(() => String, {
    nullable: true,
    description: 'Comma-separated `path[:asc|desc]` over the q fields; default creation time, then customer and legal entity id.',
  })
  sort?: string;
}

@ArgsType()
export class CustomerAssignmentsArgs extends SegmentCustomersArgs {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'For segment_read_own: B2B assignments count for this legal entity only (default: the token claim).',
  })
  legalEntityId?: string;
}
