import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { pageOf } from '../../graphql/page';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Item } from '../catalog/catalog.type';
import { AssignmentType } from '../customer-assignments/customer-assignment.type';
import { type JsonObject, Metadata, Segment, type SegmentRecord, Validity } from '../segments/segment.type';

export enum ItemType {
  PRODUCT = 'PRODUCT',
  CATEGORY = 'CATEGORY',
}
registerEnumType(ItemType, { name: 'ItemType', description: 'What an item assignment points at.' });

export const ITEM_TYPES: readonly string[] = Object.values(ItemType);

/** An item assignment as the repository returns it; the GraphQL `ItemAssignment` resolves from it. */
export interface ItemAssignmentRecord {
  tenant: string;
  segmentId: string;
  type: ItemType;
  itemId: string;
  assignmentType: AssignmentType;
  mixins: JsonObject | null;
  validity: Validity | null;
  metadata: Metadata;
}

@ObjectType({ description: 'A product or category assigned to a segment: what the segment unlocks for its members.' })
export class ItemAssignment {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => ItemType)
  type!: ItemType;

  @Field(() => ID, { description: 'Id of the product or category.' })
  itemId!: string;

  @Field(() => Item, {
    description: 'The product or category from the reference store; `known: false` with the id alone when the store lacks it.',
  })
  item!: Item;

  @Field(() => AssignmentType, { description: 'MANUAL (written through the API) or AUTOMATIC (matched by the item rule).' })
  assignmentType!: AssignmentType;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes, stored verbatim.' })
  mixins!: JsonObject | null;

  @Field(() => Validity, {
    nullable: true,
    description: 'Time-bound: counted for what members get only while now ∈ [from, to).',
  })
  validity!: Validity | null;

  @Field(() => Metadata)
  metadata!: Metadata;

  @Field(() => Segment, { nullable: true, description: 'The segment the item is assigned to.' })
  segment!: SegmentRecord | null;
}

/** ItemAssignmentPage and the resolver of its lazy items/totalCount. */
export const itemAssignmentPage = pageOf<ItemAssignmentRecord>(ItemAssignment, 'ItemAssignmentPage', 'item assignments');
export const ItemAssignmentPage = itemAssignmentPage.Page;

@ObjectType()
export class UpsertItemAssignmentPayload {
  @Field({ description: 'True when the assignment did not exist and was created.' })
  created!: boolean;

  @Field(() => ItemAssignment)
  assignment!: ItemAssignmentRecord;
}
