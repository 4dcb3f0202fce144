import { BadInputError } from '../errors';
import {
  type CategoryDraft,
  type CustomerDraft,
  type LegalEntityDraft,
  type ProductDraft,
  toCategoryDraft,
  toCustomerDraft,
  toLegalEntityDraft,
  toProductDraft,
} from '../modules/catalog/catalog.validation';
import {
  type CustomerAssignmentDraft,
  toAssignmentDraft,
  toAssignmentKey,
} from '../modules/customer-assignments/customer-assignment.validation';
import type { ItemAssignmentInput } from '../modules/item-assignments/item-assignment.inputs';
import type { ItemAssignmentDraft } from '../modules/item-assignments/item-assignment.repository';
import { ITEM_TYPES } from '../modules/item-assignments/item-assignment.type';
import { toItemAssignmentDraft } from '../modules/item-assignments/item-assignment.validation';
import type { WriteLanguage } from '../modules/segments/segment.validation';
import { checkId, isPlainObject } from '../modules/shared/validate';

/**
 * One NDJSON line → a validated entity. Each kind goes through the very functions the GraphQL
 * mutations use, so a rejected line carries the message a mutation would have answered.
 */
export interface CustomerAssignmentLine extends CustomerAssignmentDraft {
  segmentId: string;
}

export interface ItemAssignmentLine extends ItemAssignmentDraft {
  segmentId: string;
  type: string;
  itemId: string;
}

export type ImportEntity =
  | { kind: 'customer'; draft: CustomerDraft }
  | { kind: 'legalEntity'; draft: LegalEntityDraft }
  | { kind: 'product'; draft: ProductDraft }
  | { kind: 'category'; draft: CategoryDraft }
  | { kind: 'customerAssignment'; draft: CustomerAssignmentLine }
  | { kind: 'itemAssignment'; draft: ItemAssignmentLine };

export type ImportKind = ImportEntity['kind'];

export const KINDS: readonly ImportKind[] = [
  'legalEntity',
  'customer',
  'category',
  'product',
  'customerAssignment',
  'itemAssignment',
];

/** Longer lines are refused: no entity of this store comes near it. */
export const MAX_LINE_LENGTH = 1024 * 1024;

export function parseLine(text: string, lang: WriteLanguage): ImportEntity {
  if (text.length > MAX_LINE_LENGTH) throw new BadInputError(`the line is longer than ${MAX_LINE_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadInputError('the line is not valid JSON');
  }
  if (!isPlainObject(value)) throw new BadInputError('the line must be a JSON object');
  switch (value.kind) {
    case 'customer':
      return { kind: 'customer', draft: toCustomerDraft(value, '') };
    case 'legalEntity':
      return { kind: 'legalEntity', draft: toLegalEntityDraft(value, '') };
    case 'product':
      return { kind: 'product', draft: toProductDraft(value, '', lang) };
    case 'category':
      return { kind: 'category', draft: toCategoryDraft(value, '', lang) };
    case 'customerAssignment': {
      const segmentId = checkId(value.segmentId, 'segmentId');
      // metadata.version (the API's optimistic lock) is read and ignored: an import overwrites.
      const draft = toAssignmentDraft(toAssignmentKey(value.customerId, value.legalEntityId), value);
      return { kind: 'customerAssignment', draft: { ...draft, segmentId } };
    }
    case 'itemAssignment': {
      const segmentId = checkId(value.segmentId, 'segmentId');
      const type = typeof value.type === 'string' ? value.type.toUpperCase() : undefined;
      if (!type || !ITEM_TYPES.includes(type)) throw new BadInputError('type must be PRODUCT or CATEGORY', 'type');
      const itemId =
        value.itemId === undefined && value.id !== undefined ? checkId(value.id, 'id') : checkId(value.itemId, 'itemId');
      const draft = toItemAssignmentDraft(value as unknown as ItemAssignmentInput);
      return { kind: 'itemAssignment', draft: { ...draft, segmentId, type, itemId } };
    }
    default:
      throw new BadInputError(`kind must be one of ${KINDS.join(', ')}`, 'kind');
  }
}
