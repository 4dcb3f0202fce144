import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { pageOf } from '../../graphql/page';

export enum SegmentStatus {
  ACTIVE = 'ACTIVE',
  INACTIVE = 'INACTIVE',
}
registerEnumType(SegmentStatus, { name: 'SegmentStatus', description: 'Whether the segment is in use.' });

export type LocalizedMap = Record<string, string>;
export type JsonObject = Record<string, unknown>;

@ObjectType({ description: 'The time frame in which a segment is valid.' })
export class Validity {
  @Field(() => GraphQLDateTimeISO, { nullable: true })
  from!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  to!: Date | null;
}

@ObjectType({ description: 'Version and timestamps of a stored document.' })
export class Metadata {
  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => GraphQLDateTimeISO)
  modifiedAt!: Date;

  @Field(() => Int, { description: 'Starts at 1; every update adds 1. Send it back to lock optimistically.' })
  version!: number;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Mixin name → schema URL.' })
  mixins!: Record<string, string> | null;
}

/** A segment as the repository returns it; the GraphQL `Segment` type resolves from it. */
export interface SegmentRecord {
  tenant: string;
  id: string;
  name: LocalizedMap;
  description: LocalizedMap | null;
  validity: Validity | null;
  status: SegmentStatus;
  siteCode: string;
  mixins: JsonObject | null;
  metadata: Metadata;
  /** q-language rules that maintain automatic members (README "Segment rules"). */
  customerRule: string | null;
  itemRule: string | null;
  /** What the last evaluation of the rules did; null for a segment that never had a rule. */
  ruleRun: RuleRun | null;
}

export interface RuleRun {
  evaluatedAt: Date | null;
  durationMs: number | null;
  error: string | null;
}

@ObjectType({ description: 'A customer segment: a group of customers with the products and categories it unlocks.' })
export class Segment {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLJSONObject, {
    description: 'Language → text. Follows Accept-Language: the whole map, or the best single language.',
  })
  name!: LocalizedMap;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Language → text, like `name`.' })
  description!: LocalizedMap | null;

  @Field(() => Validity, { nullable: true })
  validity!: Validity | null;

  @Field(() => SegmentStatus)
  status!: SegmentStatus;

  @Field()
  siteCode!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes, stored verbatim.' })
  mixins!: JsonObject | null;

  @Field(() => Metadata)
  metadata!: Metadata;

  @Field({ description: 'True when the segment is ACTIVE (and, when configured, inside its validity window).' })
  isActive!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'q-language rule over customer.* and legalEntity.* fields: its matches are AUTOMATIC members (B2B when it names legalEntity.*).',
  })
  customerRule!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'q-language rule over product.* and category.* fields: the products it matches are AUTOMATIC items.',
  })
  itemRule!: string | null;
}

/** SegmentPage and the resolver of its lazy items/totalCount (registered in graphql/schema.ts). */
export const segmentPage = pageOf<SegmentRecord>(Segment, 'SegmentPage', 'segments');
export const SegmentPage = segmentPage.Page;

@ObjectType({ description: 'The outcome of one element of a bulk operation.' })
export class BulkResult {
  @Field(() => Int, { description: '1-based position of the element in the request.' })
  index!: number;

  @Field(() => ID, { nullable: true })
  id?: string | null;

  @Field(() => Int, { description: 'HTTP-style status: 201, 204, 400, 404, 409.' })
  code!: number;

  @Field()
  status!: string;

  @Field(() => String, { nullable: true })
  message?: string | null;
}

@ObjectType()
export class UpsertSegmentPayload {
  @Field({ description: 'True when the segment did not exist and was created.' })
  created!: boolean;

  @Field(() => Segment)
  segment!: SegmentRecord;
}
