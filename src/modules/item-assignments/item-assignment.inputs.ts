import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { MetadataInput, ValidityInput } from '../segments/segment.inputs';

@InputType({ description: 'An item assignment as written: replaces `mixins` and `metadata.mixins`.' })
export class ItemAssignmentInput {
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes, stored verbatim.' })
  mixins?: Record<string, unknown> | null;

  @Field(() => MetadataInput, { nullable: true, description: '`version` is the expected version (optimistic lock).' })
  metadata?: MetadataInput | null;

  @Field(() => ValidityInput, {
    nullable: true,
    description: 'Time-bound: what members get counts the item only while now ∈ [from, to).',
  })
  validity?: ValidityInput | null;
}

@InputType({ description: 'One element of a bulk item-assignment upsert.' })
export class ItemAssignmentBulkInput extends ItemAssignmentInput {
  @Field(() => ID, { description: 'Id of the product or category.' })
  id!: string;
}

@ArgsType()
export class SegmentItemsArgs {
  @Field(() => String, {
    nullable: true,
    description: 'The q-language over `item.id` (alias `itemId`), `type`, `segmentId`, `mixins.*`, `metadata.*`.',
  })
  q?: string;

  @Field(() => Int, { nullable: true, description: '1-based; default 1.' })
  pageNumber?: number;

  @Field(() => Int, { nullable: true, description: 'Default 60, at most 1000.' })
  pageSize?: number;

  @Field(() => String, {
    nullable: true,
    description: 'Comma-separated `path[:asc|desc]` over the q fields; default creation time, then type and item id.',
  })
  sort?: string;
}

@ArgsType()
export class ItemAssignmentsArgs extends SegmentItemsArgs {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => ID, { nullable: true, description: 'For segment_read_own: B2B membership counts for this legal entity only.' })
  legalEntityId?: string;
}

@ArgsType()
export class AllSegmentItemsArgs extends SegmentItemsArgs {
  @Field(() => String, { nullable: true, description: 'Only items of segments of this site.' })
  siteCode?: string;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Only items of active segments. Always true for callers with segment_read_own alone.',
  })
  onlyActive?: boolean;

  @Field(() => ID, { nullable: true, description: 'For segment_read_own: B2B membership counts for this legal entity only.' })
  legalEntityId?: string;

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description:
      'Answer as at this instant: only item assignments valid then, of segments active then and (segment_read_own) ' +
      'memberships valid then. segment_read_own defaults to now; without it segment_read lists every assignment.',
  })
  at?: Date;
}
