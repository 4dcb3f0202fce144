import type { Dialect } from '../../db/knex';
import { BadInputError } from '../../graphql/errors';
import { compileTerm } from '../../query/q-compile';
import { QueryError, type QTerm } from '../../query/q-parser';
import { checkTerms } from '../shared/list-args';
import { checkId, optionalMixinSchemas, optionalObject, optionalVersion } from '../shared/validate';
import { type ItemAssignmentBulkDraft, type ItemAssignmentDraft, itemAssignmentFields } from './item-assignment.repository';
import type { ItemAssignmentBulkInput, ItemAssignmentInput } from './item-assignment.inputs';

/** The item-assignment rules for single and bulk upserts; a missing input writes an empty assignment. */
export function toItemAssignmentDraft(input: ItemAssignmentInput | null | undefined): ItemAssignmentDraft {
  const metadata = optionalObject(input?.metadata, 'metadata');
  return {
    mixins: optionalObject(input?.mixins, 'mixins'),
    metadataMixins: optionalMixinSchemas(metadata?.mixins, 'metadata.mixins'),
    expectedVersion: optionalVersion(metadata?.version, 'metadata.version'),
  };
}

export function toItemAssignmentBulkDraft(input: ItemAssignmentBulkInput): ItemAssignmentBulkDraft {
  if (input.id === undefined || input.id === null) throw new BadInputError('id is required', 'id');
  return { itemId: checkId(input.id, 'id'), ...toItemAssignmentDraft(input) };
}

/**
 * `q` checked whole at the edge: field names, and the values the fields demand (enum members,
 * numbers, instants), which otherwise surface only when the SQL is compiled inside a loader.
 */
export function checkItemTerms(terms: QTerm[], dialect: Dialect): void {
  checkTerms(terms, itemAssignmentFields);
  try {
    for (const term of terms) compileTerm(term, itemAssignmentFields, dialect);
  } catch (e) {
    if (e instanceof QueryError) throw new BadInputError(e.message, e.field);
    throw e;
  }
}
