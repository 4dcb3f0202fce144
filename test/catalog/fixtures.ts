import type { Database } from '../../src/db/knex';
import type { TestApp } from '../helpers/app';

/** Named fixtures for the catalog suites: segments through the API, assignments as rows. */

export async function createSegment(
  t: TestApp,
  id: string,
  opts: { status?: 'ACTIVE' | 'INACTIVE'; token?: string } = {},
): Promise<void> {
  const res = await t.gql(
    `mutation($input: SegmentInput!) { createSegment(input: $input) { id } }`,
    { input: { id, name: { en: id }, siteCode: 'main', status: opts.status ?? 'ACTIVE' } },
    { token: opts.token },
  );
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

// Assignments belong to other modules; their rows are written directly so these suites test
// the catalog edges alone.
let clock = 1_700_000_000_000;

export async function assignCustomer(
  db: Database,
  tenant: string,
  segmentId: string,
  customerId: string,
  legalEntityId?: string,
): Promise<void> {
  const now = clock++;
  await db.knex('customer_assignments').insert({
    tenant,
    segment_id: segmentId,
    customer_id: customerId,
    legal_entity_id: legalEntityId ?? '',
    assignment_type: 'MANUAL',
    version: 1,
    created_at: now,
    modified_at: now,
  });
}

export async function assignItem(
  db: Database,
  tenant: string,
  segmentId: string,
  type: 'PRODUCT' | 'CATEGORY',
  itemId: string,
): Promise<void> {
  const now = clock++;
  await db.knex('item_assignments').insert({
    tenant,
    segment_id: segmentId,
    type,
    item_id: itemId,
    version: 1,
    created_at: now,
    modified_at: now,
  });
}

export const UPSERT_CUSTOMERS = `mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) }`;
export const UPSERT_LEGAL_ENTITIES = `mutation($input: [LegalEntityInput!]!) { upsertLegalEntities(input: $input) }`;
export const UPSERT_PRODUCTS = `mutation($input: [ProductInput!]!) { upsertProducts(input: $input) }`;
export const UPSERT_CATEGORIES = `mutation($input: [CategoryInput!]!) { upsertCategories(input: $input) }`;

/** The data of a successful operation; throws with the errors otherwise. */
export async function ok<T = Record<string, unknown>>(
  p: Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>,
): Promise<T> {
  const res = await p;
  if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

/** The first error of a failed operation. */
export async function firstError(
  p: Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }>,
): Promise<{ message: string; code: unknown; field: unknown }> {
  const res = await p;
  const e = res.errors?.[0];
  if (!e) throw new Error(`expected an error, got ${JSON.stringify(res.data)}`);
  return { message: e.message, code: e.extensions?.code, field: e.extensions?.field };
}
