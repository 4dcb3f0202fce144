import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import {
  Customer,
  type CustomerRecord,
  LegalEntity,
  type LegalEntityRecord,
  Product,
  type ProductRecord,
} from '../catalog/catalog.type';
import { ItemType } from '../item-assignments/item-assignment.type';

@ObjectType({ description: "What the last evaluation of a segment's rules did." })
export class RuleStatus {
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When the rules were last evaluated completely.' })
  lastEvaluatedAt!: Date | null;

  @Field(() => Int, { description: 'AUTOMATIC members now: customer and item assignments together.' })
  automaticCount!: number;

  @Field(() => Int)
  automaticCustomerCount!: number;

  @Field(() => Int)
  automaticItemCount!: number;

  @Field(() => Int, { nullable: true, description: 'How long that evaluation took.' })
  durationMs!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last evaluation failed (it is retried on a schedule); null when it succeeded.',
  })
  error!: string | null;
}

/** A ruleStatus as resolved: the stored run, counts filled in by a loader. */
export interface RuleStatusRecord {
  segmentId: string;
  lastEvaluatedAt: Date | null;
  durationMs: number | null;
  error: string | null;
}

@ObjectType({ description: 'A customer (× legal entity, for a B2B rule) a rule matches.' })
export class RuleCustomerMatch {
  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { nullable: true, description: 'Set for B2B members (a rule that names legalEntity.*).' })
  legalEntityId!: string | null;

  @Field(() => Customer, { nullable: true })
  customer?: CustomerRecord | null;

  @Field(() => LegalEntity, { nullable: true })
  legalEntity?: LegalEntityRecord | null;
}

@ObjectType({ description: 'A product an item rule matches.' })
export class RuleItemMatch {
  @Field(() => ID)
  itemId!: string;

  @Field(() => Product, { nullable: true })
  product?: ProductRecord | null;
}

@ObjectType()
export class RulePreviewCustomers {
  @Field(() => Int, { description: 'Customers (× legal entities) the rule matches.' })
  count!: number;

  @Field(() => [RuleCustomerMatch], { description: 'The first matches, by customer id.' })
  sample!: RuleCustomerMatch[];
}

@ObjectType()
export class RulePreviewItems {
  @Field(() => Int, { description: 'Products the rule matches.' })
  count!: number;

  @Field(() => [RuleItemMatch], { description: 'The first matches, by product id.' })
  sample!: RuleItemMatch[];
}

@ObjectType({ description: 'What rules would match now, without saving anything.' })
export class RulePreview {
  @Field(() => Int, { description: 'Matches of both rules together.' })
  count!: number;

  @Field(() => RulePreviewCustomers, { nullable: true, description: 'Null when no customer rule was given.' })
  customers!: RulePreviewCustomers | null;

  @Field(() => RulePreviewItems, { nullable: true, description: 'Null when no item rule was given.' })
  items!: RulePreviewItems | null;
}

@ObjectType({ description: 'A customer removed from a rule segment by hand: the rule does not add it back.' })
export class CustomerExclusion {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { nullable: true })
  legalEntityId!: string | null;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => Customer, { nullable: true })
  customer?: CustomerRecord | null;
}

@ObjectType({ description: 'An item removed from a rule segment by hand: the rule does not add it back.' })
export class ItemExclusion {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => ItemType)
  type!: ItemType;

  @Field(() => ID)
  itemId!: string;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;
}

@ObjectType({ description: "A segment's exclusions, oldest first." })
export class SegmentExclusions {
  @Field(() => [CustomerExclusion])
  customers!: CustomerExclusion[];

  @Field(() => [ItemExclusion])
  items!: ItemExclusion[];
}
