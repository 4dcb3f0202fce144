import { BadInputError } from '../../errors';
import type { JsonObject } from '../segments/segment.type';
import {
  checkId,
  isPlainObject,
  optionalJsonObject,
  optionalMixinSchemas,
  optionalObject,
  optionalValidity,
  optionalVersion,
} from '../shared/validate';

/** Which assignment of a segment: the customer, and the legal entity it acts for (null = B2C). */
export interface CustomerAssignmentKey {
  customerId: string;
  legalEntityId: string | null;
}

/** What an upsert stores, before versions and timestamps are settled. */
export interface CustomerAssignmentDraft extends CustomerAssignmentKey {
  mixins: JsonObject | null;
  /** Time-bound membership: counted for what a customer gets only while now ∈ [from, to). */
  validityFrom: number | null;
  validityTo: number | null;
  metadataMixins: Record<string, string> | null;
  /** metadata.version of the body: the expected stored version (optimistic lock). */
  expectedVersion?: number;
}

/**
 * An absent legal entity is B2C; an empty one is a 400 (an empty path segment must not silently
 * turn a B2B request into a B2C one).
 */
export function toAssignmentKey(customerId: unknown, legalEntityId: unknown): CustomerAssignmentKey {
  return {
    customerId: checkId(customerId, 'customerId'),
    legalEntityId: legalEntityId === undefined || legalEntityId === null ? null : checkId(legalEntityId, 'legalEntityId'),
  };
}

/** The assignment rules, for the single and the bulk upsert. A missing body is an empty one. */
export function toAssignmentDraft(key: CustomerAssignmentKey, input: unknown): CustomerAssignmentDraft {
  if (input !== undefined && input !== null && !isPlainObject(input)) {
    throw new BadInputError('The customer assignment must be a JSON object', 'body');
  }
  const body = (input ?? {}) as Record<string, unknown>;
  const metadata = optionalObject(body.metadata, 'metadata');
  return {
    ...key,
    mixins: optionalJsonObject(body.mixins, 'mixins'),
    ...optionalValidity(body.validity),
    metadataMixins: optionalMixinSchemas(metadata?.mixins, 'metadata.mixins'),
    expectedVersion: optionalVersion(metadata?.version, 'metadata.version'),
  };
}

/** One element of a bulk upsert: the key comes with the element. */
export function toBulkAssignmentDraft(input: unknown): CustomerAssignmentDraft {
  if (!isPlainObject(input)) throw new BadInputError('Each element must be a JSON object', 'body');
  return toAssignmentDraft(toAssignmentKey(input.customerId, input.legalEntityId), input);
}

/** Stable text of a key, for maps and DataLoader caches (ids never contain a NUL). */
export function keyString(segmentId: string, key: CustomerAssignmentKey): string {
  return `${segmentId}\u0000${key.customerId}\u0000${key.legalEntityId ?? ''}`;
}
