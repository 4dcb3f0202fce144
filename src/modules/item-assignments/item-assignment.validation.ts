import { BadInputError } from '../../errors';
import {
  checkId,
  optionalJsonObject,
  optionalMixinSchemas,
  optionalObject,
  optionalValidity,
  optionalVersion,
} from '../shared/validate';
import type { ItemAssignmentBulkDraft, ItemAssignmentDraft } from './item-assignment.repository';
import type { ItemAssignmentBulkInput, ItemAssignmentInput } from './item-assignment.inputs';

/** The item-assignment rules for single and bulk upserts; a missing input writes an empty assignment. */
export function toItemAssignmentDraft(input: ItemAssignmentInput | null | undefined): ItemAssignmentDraft {
  const metadata = optionalObject(input?.metadata, 'metadata');
  return {
    mixins: optionalJsonObject(input?.mixins, 'mixins'),
    ...optionalValidity(input?.validity),
    metadataMixins: optionalMixinSchemas(metadata?.mixins, 'metadata.mixins'),
    expectedVersion: optionalVersion(metadata?.version, 'metadata.version'),
  };
}

export function toItemAssignmentBulkDraft(input: ItemAssignmentBulkInput): ItemAssignmentBulkDraft {
  if (input.id === undefined || input.id === null) throw new BadInputError('id is required', 'id');
  return { itemId: checkId(input.id, 'id'), ...toItemAssignmentDraft(input) };
}
