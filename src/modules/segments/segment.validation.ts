import { BadInputError } from '../../errors';
import { optionalRuleText, parseRule } from '../rules/rule.parse';
import { normalizeLocalizedInput } from '../../i18n/language';
import { limits } from '../../limits';
import {
  checkId,
  isPlainObject,
  optionalInstant,
  optionalJsonObject,
  optionalMixinSchemas,
  optionalObject,
  optionalText,
  optionalVersion,
} from '../shared/validate';
import { type JsonObject, type LocalizedMap, SegmentStatus } from './segment.type';

/** What a write stores: a validated segment, before ids, versions and timestamps are settled. */
export interface SegmentDraft {
  id?: string;
  name: LocalizedMap;
  description: LocalizedMap | null;
  validityFrom: number | null;
  validityTo: number | null;
  status: SegmentStatus;
  siteCode: string;
  mixins: JsonObject | null;
  metadataMixins: Record<string, string> | null;
  /** metadata.version of the body: the expected stored version (optimistic lock). */
  expectedVersion?: number;
  customerRule: string | null;
  itemRule: string | null;
  /** A rule reads the clock (`now-180d`): the scheduler evaluates such segments again and again. */
  ruleUsesNow: boolean;
}

export interface WriteLanguage {
  contentLanguage?: string;
  defaultLanguage: string;
}

const KNOWN = new Set([
  'id',
  'name',
  'description',
  'validity',
  'status',
  'siteCode',
  'mixins',
  'metadata',
  'customerRule',
  'itemRule',
]);
const STATUSES = new Set<string>(Object.values(SegmentStatus));

/**
 * The segment rules, for every way a segment is written (create, upsert, bulk, the result of a
 * PATCH). `strict` rejects unknown top-level properties: a PATCH must leave a valid segment.
 */
export function toSegmentDraft(input: unknown, lang: WriteLanguage, strict = false): SegmentDraft {
  if (!isPlainObject(input)) throw new BadInputError('The segment must be a JSON object', 'body');
  if (strict) {
    for (const key of Object.keys(input)) {
      if (!KNOWN.has(key)) throw new BadInputError(`${key} is not a segment field`, key);
    }
  }
  const id = input.id === undefined || input.id === null ? undefined : checkId(input.id, 'id');
  const { nameLength, descriptionLength } = limits();
  const name = normalizeLocalizedInput(input.name, 'name', lang.contentLanguage, lang.defaultLanguage, nameLength);
  if (!name || Object.keys(name).length === 0) throw new BadInputError('name is required', 'name');
  const description =
    normalizeLocalizedInput(input.description, 'description', lang.contentLanguage, lang.defaultLanguage, descriptionLength) ??
    null;

  let validityFrom: number | null = null;
  let validityTo: number | null = null;
  const validity = optionalObject(input.validity, 'validity');
  if (validity) {
    validityFrom = optionalInstant(validity.from, 'validity.from');
    validityTo = optionalInstant(validity.to, 'validity.to');
    if (validityFrom !== null && validityTo !== null && validityFrom > validityTo) {
      throw new BadInputError('validity.from must not be after validity.to', 'validity.from');
    }
  }

  let status = SegmentStatus.INACTIVE;
  if (input.status !== undefined && input.status !== null) {
    if (typeof input.status !== 'string' || !STATUSES.has(input.status)) {
      throw new BadInputError('status must be ACTIVE or INACTIVE', 'status');
    }
    status = input.status as SegmentStatus;
  }

  const siteCode = optionalText(input.siteCode, 'siteCode');
  if (siteCode === null) throw new BadInputError('siteCode is required', 'siteCode');
  if (siteCode.trim() === '') throw new BadInputError('siteCode must not be empty', 'siteCode');

  const mixins = optionalJsonObject(input.mixins, 'mixins');
  const metadata = optionalObject(input.metadata, 'metadata');
  return {
    id,
    name,
    description,
    validityFrom,
    validityTo,
    status,
    siteCode,
    mixins,
    metadataMixins: optionalMixinSchemas(metadata?.mixins, 'metadata.mixins'),
    expectedVersion: optionalVersion(metadata?.version, 'metadata.version'),
    ...rules(input.customerRule, input.itemRule),
  };
}

/** The rules after the checks a stored rule must pass (a 400 naming the position otherwise). */
function rules(customer: unknown, item: unknown): Pick<SegmentDraft, 'customerRule' | 'itemRule' | 'ruleUsesNow'> {
  const c = parseRule('customer', optionalRuleText(customer, 'customer') ?? '');
  const i = parseRule('item', optionalRuleText(item, 'item') ?? '');
  return { customerRule: c?.text ?? null, itemRule: i?.text ?? null, ruleUsesNow: !!(c?.usesNow || i?.usesNow) };
}
