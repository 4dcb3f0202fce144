import { applyPatch, JsonPatchError, type Operation, validate } from 'fast-json-patch';
import { BadInputError } from '../../errors';
import { limits } from '../../limits';
import { checkJsonDepth } from '../shared/input-limits';
import { isPlainObject } from '../shared/validate';
import type { SegmentRecord } from './segment.type';
import { type SegmentDraft, toSegmentDraft, type WriteLanguage } from './segment.validation';

const MAX_OPERATIONS = 100;

// fast-json-patch names its failures; its messages embed the whole document, so we say our own.
const REASONS: Record<string, string> = {
  SEQUENCE_NOT_AN_ARRAY: 'the body must be an array of operations',
  OPERATION_NOT_AN_OBJECT: 'must be an object',
  OPERATION_OP_INVALID: 'op must be one of add, remove, replace, move, copy, test',
  OPERATION_PATH_INVALID: 'path must be a JSON Pointer such as /status',
  OPERATION_FROM_REQUIRED: 'from is required for move and copy',
  OPERATION_VALUE_REQUIRED: 'value is required',
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: 'value must be JSON',
  OPERATION_PATH_CANNOT_ADD: 'path cannot be added: its parent does not exist',
  OPERATION_PATH_UNRESOLVABLE: 'path does not exist in the segment',
  OPERATION_FROM_UNRESOLVABLE: 'from does not exist in the segment',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'path has an illegal array index',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'path index is out of bounds',
  TEST_OPERATION_FAILED: 'test failed',
};

const READ_ONLY = /^\/(id|metadata)(\/|$)/;

/** The segment as a JSON document, in the contract's shape: what PATCH paths address. */
export function segmentDocument(s: SegmentRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = { id: s.id, name: s.name };
  if (s.description) doc.description = s.description;
  if (s.validity) {
    const v: Record<string, string> = {};
    if (s.validity.from) v.from = s.validity.from.toISOString();
    if (s.validity.to) v.to = s.validity.to.toISOString();
    doc.validity = v;
  }
  doc.status = s.status;
  doc.siteCode = s.siteCode;
  if (s.mixins) doc.mixins = s.mixins;
  if (s.customerRule) doc.customerRule = s.customerRule;
  if (s.itemRule) doc.itemRule = s.itemRule;
  return doc;
}

export interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string | null;
}

/**
 * The operations on their own, before the segment is read: count, shape, `op`, paths, read-only
 * paths. docs/behaviour.md puts input (400) ahead of existence (404), so a malformed patch of a
 * missing segment is a 400. Returns them in fast-json-patch's form.
 */
export function checkPatchOperations(ops: readonly PatchOp[]): Operation[] {
  if (ops.length > MAX_OPERATIONS) throw new BadInputError(`at most ${MAX_OPERATIONS} operations per request`, 'operations');
  ops.forEach((op, i) => {
    if (!isPlainObject(op)) throw new BadInputError(`operations[${i}] must be an object`, `operations[${i}]`);
    for (const key of ['path', 'from'] as const) {
      const p = op[key];
      if (typeof p === 'string' && READ_ONLY.test(p)) {
        throw new BadInputError(`operations[${i}].${key}: ${p} is read-only`, `operations[${i}].${key}`);
      }
    }
    // fast-json-patch walks values recursively: bound them before it runs. A value may replace
    // the whole document, one level above `mixins`; the result is held to the limits as a segment.
    if ('value' in op) checkJsonDepth(op.value, `operations[${i}].value`, limits().jsonDepth + 1);
  });
  const operations = ops.map((o) => {
    const op: Record<string, unknown> = { op: o.op, path: o.path };
    if ('value' in o) op.value = o.value === undefined ? null : o.value;
    if (o.from != null) op.from = o.from;
    return op as unknown as Operation;
  });
  throwIfPatchError(validate(operations));
  return operations;
}

function throwIfPatchError(e: unknown): void {
  if (!e) return;
  if (e instanceof JsonPatchError) {
    const i = typeof e.index === 'number' ? e.index : 0;
    throw new BadInputError(`operations[${i}]: ${REASONS[e.name] ?? 'invalid operation'}`, `operations[${i}]`);
  }
  throw new BadInputError('operations: invalid patch', 'operations');
}

/** RFC 6902 on the segment document (operations from checkPatchOperations); the result must still be a valid segment. */
export function applySegmentPatch(current: SegmentRecord, operations: Operation[], lang: WriteLanguage): SegmentDraft {
  let patched: unknown;
  try {
    patched = applyPatch(segmentDocument(current), operations, true, false, true).newDocument;
  } catch (e) {
    throwIfPatchError(e);
  }
  const draft = toSegmentDraft(patched, lang, true);
  if (draft.id !== current.id) throw new BadInputError('id is read-only', 'id');
  return { ...draft, metadataMixins: current.metadata.mixins, expectedVersion: undefined };
}
