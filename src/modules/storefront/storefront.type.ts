import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import type { CategoryRecord } from '../catalog/catalog.type';
import { type LocalizedMap, Validity } from '../segments/segment.type';

/** A category in a segment-based tree; `subcategories` nests the same type. */
@ObjectType({ description: 'A node of a segment-based category tree (GET /segments/items/category-trees).' })
export class CategoryNode {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true })
  parentId!: string | null;

  @Field(() => String, { nullable: true })
  code!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Language → text; follows Accept-Language.' })
  name!: LocalizedMap | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  localizedDescription!: LocalizedMap | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  localizedSlug!: LocalizedMap | null;

  @Field(() => [String], { nullable: true })
  ecn!: string[] | null;

  @Field(() => Validity, { nullable: true })
  validity!: Validity | null;

  @Field(() => Int, { nullable: true })
  position!: number | null;

  @Field()
  published!: boolean;

  @Field({ description: 'True for an assigned category and everything below it; false for their ancestors.' })
  isSegmentAssigned!: boolean;

  @Field(() => [CategoryNode])
  subcategories!: CategoryNodeRecord[];
}

export interface CategoryNodeRecord {
  category: CategoryRecord;
  isSegmentAssigned: boolean;
  subcategories: CategoryNodeRecord[];
}

export enum MatchVia {
  DIRECT = 'DIRECT',
  CATEGORY = 'CATEGORY',
}
registerEnumType(MatchVia, {
  name: 'MatchVia',
  description: 'DIRECT: the product itself is assigned; CATEGORY: one of its categories or their ancestors is.',
});

@ObjectType({ description: 'One reason a product matched: which segment, and how.' })
export class MatchReason {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => MatchVia)
  via!: MatchVia;

  @Field(() => ID, { nullable: true, description: 'The assigned category the product is in (or below), for via CATEGORY.' })
  categoryId!: string | null;
}

@ObjectType({ description: 'A product that matched, with every reason it did.' })
export class ItemMatch {
  @Field(() => ID)
  productId!: string;

  @Field(() => [MatchReason])
  reasons!: MatchReason[];
}
