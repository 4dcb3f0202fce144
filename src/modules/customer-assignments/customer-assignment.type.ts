import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { pageOf } from '../../graphql/page';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Customer, LegalEntity } from '../catalog/catalog.type';
import { type JsonObject, Metadata, Segment, type SegmentRecord, Validity } from '../segments/segment.type';

export enum AssignmentType {
  MANUAL = 'MANUAL',
  AUTOMATIC = 'AUTOMATIC',
}
registerEnumType(AssignmentType, {
  name: 'AssignmentType',
  description: 'How a member came into a segment: MANUAL (written through the API) or AUTOMATIC (matched by the segment rule).',
  valuesConfig: {
    MANUAL: { description: 'Written through the API.' },
    AUTOMATIC: { description: 'Derived by the service itself (reserved).' },
  },
});

/** A customer assignment as the repository returns it; the GraphQL `CustomerAssignment` resolves from it. */
export interface CustomerAssignmentRecord {
  tenant: string;
  segmentId: string;
  customerId: string;
  /** null for a B2C assignment (stored as ''). */
  legalEntityId: string | null;
  assignmentType: AssignmentType;
  mixins: JsonObject | null;
  validity: Validity | null;
  metadata: Metadata;
}

@ObjectType({ description: 'A customer (B2C) or a customer acting for a legal entity (B2B) assigned to a segment.' })
export class CustomerAssignment {
  @Field(() => ID)
  segmentId!: string;

  @Field(() => Customer, { description: 'From the reference store; the id alone when the store does not know it.' })
  customer!: Customer;

  @Field(() => LegalEntity, {
    nullable: true,
    description: 'Null for a B2C assignment. From the reference store; the id alone when the store does not know it.',
  })
  legalEntity!: LegalEntity | null;

  @Field(() => AssignmentType)
  assignmentType!: AssignmentType;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes, stored verbatim.' })
  mixins!: JsonObject | null;

  @Field(() => Validity, {
    nullable: true,
    description: 'Time-bound membership: counted for what the customer gets only while now ∈ [from, to).',
  })
  validity!: Validity | null;

  @Field(() => Metadata)
  metadata!: Metadata;

  @Field(() => Segment, { nullable: true, description: 'The segment the customer is assigned to.' })
  segment!: SegmentRecord | null;
}

/** CustomerAssignmentPage and the resolver of its lazy items/totalCount. */
export const customerAssignmentPage = pageOf<CustomerAssignmentRecord>(
  CustomerAssignment,
  'CustomerAssignmentPage',
  'customer assignments',
);
export const CustomerAssignmentPage = customerAssignmentPage.Page;

@ObjectType()
export class UpsertCustomerAssignmentPayload {
  @Field({ description: 'True when the assignment did not exist and was created.' })
  created!: boolean;

  @Field(() => CustomerAssignment)
  assignment!: CustomerAssignmentRecord;
}
