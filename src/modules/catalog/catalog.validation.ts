import { BadInputError } from '../../errors';
import { normalizeLocalizedInput } from '../../i18n/language';
import { limits } from '../../limits';
import type { LocalizedMap } from '../segments/segment.type';
import type { WriteLanguage } from '../segments/segment.validation';
import { checkId, isPlainObject, optionalInstant, optionalJsonObject, optionalObject, optionalText } from '../shared/validate';

/**
 * The reference-store rules, shared by the GraphQL mutations and the NDJSON import: both hand
 * each element (or line) to these functions, so a line the import rejects is exactly an element
 * a mutation would refuse, with the same message. `path` prefixes field names in errors
 * (`input[3]` → `input[3].email`; the import passes '' → `email`).
 */

/** At most this many elements per write mutation (docs/behaviour.md keeps 200 for the REST bulk routes). */
export const MAX_WRITE_ELEMENTS = 1000;
/** Links one element may carry (legal entities of a customer, categories of a product). */
export const MAX_LINKS = 1000;
const MAX_ECN = 1000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export interface CustomerDraft {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  /** Attributes rules are written against (country, tier, totalSpent, lastOrderAt, tags, …). */
  mixins: Record<string, unknown> | null;
  /** undefined: keep the stored links; an array (possibly empty) replaces them. */
  legalEntityIds?: string[];
}

export interface LegalEntityDraft {
  id: string;
  name: string | null;
  mixins: Record<string, unknown> | null;
}

export interface ProductDraft {
  id: string;
  code: string | null;
  name: LocalizedMap | null;
  mixins: Record<string, unknown> | null;
  /** undefined: keep the stored links; an array (possibly empty) replaces them. */
  categoryIds?: string[];
}

export interface CategoryDraft {
  id: string;
  parentId: string | null;
  code: string | null;
  name: LocalizedMap | null;
  description: LocalizedMap | null;
  slug: LocalizedMap | null;
  ecn: string[] | null;
  validityFrom: number | null;
  validityTo: number | null;
  position: number | null;
  published: boolean;
}

const at = (path: string, field: string): string => (path ? `${path}.${field}` : field);

function element(input: unknown, path: string, what: string): Record<string, unknown> {
  if (!isPlainObject(input)) throw new BadInputError(`${path || 'The ' + what} must be an object`, path || 'body');
  return input;
}

// Deliberately loose (one @, no whitespace): the store mirrors emails, it does not vet them.
// Held to the plain text limit: no deliverable address is longer than 254 characters (RFC 5321).
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

function optionalEmail(value: unknown, field: string): string | null {
  const email = optionalText(value, field);
  if (email !== null && !EMAIL_RE.test(email)) throw new BadInputError(`${field} must be an email address`, field);
  return email;
}

/** A list of ids, duplicates dropped (a link exists or not); undefined when not given. */
function optionalIdList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new BadInputError(`${field} must be an array of ids`, field);
  if (value.length > MAX_LINKS) throw new BadInputError(`${field}: at most ${MAX_LINKS} ids`, field);
  return [...new Set(value.map((v, i) => checkId(v, `${field}[${i}]`)))];
}

function localized(value: unknown, field: string, lang: WriteLanguage, maxLength: number): LocalizedMap | null {
  return normalizeLocalizedInput(value, field, lang.contentLanguage, lang.defaultLanguage, maxLength) ?? null;
}

export function toCustomerDraft(input: unknown, path: string): CustomerDraft {
  const o = element(input, path, 'customer');
  return {
    id: checkId(o.id, at(path, 'id')),
    firstName: optionalText(o.firstName, at(path, 'firstName')),
    lastName: optionalText(o.lastName, at(path, 'lastName')),
    email: optionalEmail(o.email, at(path, 'email')),
    mixins: optionalJsonObject(o.mixins, at(path, 'mixins')),
    legalEntityIds: optionalIdList(o.legalEntityIds, at(path, 'legalEntityIds')),
  };
}

export function toLegalEntityDraft(input: unknown, path: string): LegalEntityDraft {
  const o = element(input, path, 'legal entity');
  return {
    id: checkId(o.id, at(path, 'id')),
    name: optionalText(o.name, at(path, 'name')),
    mixins: optionalJsonObject(o.mixins, at(path, 'mixins')),
  };
}

export function toProductDraft(input: unknown, path: string, lang: WriteLanguage): ProductDraft {
  const o = element(input, path, 'product');
  return {
    id: checkId(o.id, at(path, 'id')),
    code: optionalText(o.code, at(path, 'code')),
    name: localized(o.name, at(path, 'name'), lang, limits().nameLength),
    mixins: optionalJsonObject(o.mixins, at(path, 'mixins')),
    categoryIds: optionalIdList(o.categoryIds, at(path, 'categoryIds')),
  };
}

export function toCategoryDraft(input: unknown, path: string, lang: WriteLanguage): CategoryDraft {
  const o = element(input, path, 'category');
  const id = checkId(o.id, at(path, 'id'));
  const parentId = o.parentId === undefined || o.parentId === null ? null : checkId(o.parentId, at(path, 'parentId'));
  if (parentId === id)
    throw new BadInputError(`${at(path, 'parentId')}: a category cannot be its own parent`, at(path, 'parentId'));

  let validityFrom: number | null = null;
  let validityTo: number | null = null;
  const validity = optionalObject(o.validity, at(path, 'validity'));
  if (validity) {
    validityFrom = optionalInstant(validity.from, at(path, 'validity.from'));
    validityTo = optionalInstant(validity.to, at(path, 'validity.to'));
    if (validityFrom !== null && validityTo !== null && validityFrom > validityTo) {
      throw new BadInputError(`${at(path, 'validity.from')} must not be after validity.to`, at(path, 'validity.from'));
    }
  }

  let ecn: string[] | null = null;
  if (o.ecn !== undefined && o.ecn !== null) {
    const field = at(path, 'ecn');
    if (!Array.isArray(o.ecn)) throw new BadInputError(`${field} must be an array of strings`, field);
    if (o.ecn.length > MAX_ECN) throw new BadInputError(`${field}: at most ${MAX_ECN} entries`, field);
    ecn = o.ecn.map((v, i) => {
      const s = optionalText(v, `${field}[${i}]`);
      if (s === null) throw new BadInputError(`${field}[${i}] must be a string`, `${field}[${i}]`);
      return s;
    });
  }

  let position: number | null = null;
  if (o.position !== undefined && o.position !== null) {
    if (!Number.isInteger(o.position) || (o.position as number) < INT32_MIN || (o.position as number) > INT32_MAX) {
      throw new BadInputError(`${at(path, 'position')} must be a 32-bit integer`, at(path, 'position'));
    }
    position = o.position as number;
  }

  let published = true;
  if (o.published !== undefined && o.published !== null) {
    if (typeof o.published !== 'boolean')
      throw new BadInputError(`${at(path, 'published')} must be a boolean`, at(path, 'published'));
    published = o.published;
  }

  return {
    id,
    parentId,
    code: optionalText(o.code, at(path, 'code')),
    name: localized(o.name, at(path, 'name'), lang, limits().nameLength),
    description: localized(o.description, at(path, 'description'), lang, limits().descriptionLength),
    slug: localized(o.slug, at(path, 'slug'), lang, limits().nameLength),
    ecn,
    validityFrom,
    validityTo,
    position,
    published,
  };
}

/** The whole list checked before anything is written: a mutation is all or nothing. */
export function validateAll<T extends { id: string }>(
  list: readonly unknown[],
  field: string,
  fn: (input: unknown, path: string) => T,
): T[] {
  if (list.length > MAX_WRITE_ELEMENTS) {
    throw new BadInputError(`${field}: at most ${MAX_WRITE_ELEMENTS} elements per call, got ${list.length}`, field);
  }
  const seen = new Set<string>();
  return list.map((input, i) => {
    const draft = fn(input, `${field}[${i}]`);
    // One element per id: two in one call would race each other's links.
    if (seen.has(draft.id)) throw new BadInputError(`${field}[${i}].id: ${draft.id} appears more than once`, `${field}[${i}].id`);
    seen.add(draft.id);
    return draft;
  });
}

/** Ids of a delete mutation: checked, bounded, duplicates dropped. */
export function validateIds(ids: readonly unknown[], field = 'ids'): string[] {
  if (ids.length > MAX_WRITE_ELEMENTS) {
    throw new BadInputError(`${field}: at most ${MAX_WRITE_ELEMENTS} ids per call, got ${ids.length}`, field);
  }
  return [...new Set(ids.map((id, i) => checkId(id, `${field}[${i}]`)))];
}
