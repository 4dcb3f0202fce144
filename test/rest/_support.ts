/**
 * Shared assertions for the REST and GraphQL suites (not a test file: jest only runs *.test.ts).
 *
 * - `guardRest` / `guardGql` wrap the test app's clients so that EVERY answer is checked for
 *   leaks (stack traces, SQL text, driver names or codes) without each test having to remember.
 * - `expectError` / `expectFault` check the contract's Error body and the platform's 401 body.
 */
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';

/**
 * Text that must never reach a client: stack traces, SQL, driver names and driver error codes
 * (`ER_DUP_ENTRY`…; `\b` so that the GraphQL code BAD_USER_INPUT does not count).
 */
const LEAKS: RegExp[] = [/stack/i, /SELECT/, /sqlite/i, /\bER_/, /knex/i, /mysql/i, /\bat .+\.(ts|js):\d+/];

export function assertNoLeak(text: string, where: string): void {
  for (const re of LEAKS) {
    if (re.test(text)) throw new Error(`${where}: answer leaks ${re}: ${text.slice(0, 500)}`);
  }
}

type RestFn = TestApp['rest'];
type GqlFn = TestApp['gql'];

/** t.rest, but every answer with status >= 400 is checked for leaks. */
export function guardRest(t: TestApp): RestFn {
  return async (method, path, opts) => {
    const res = await t.rest(method, path, opts);
    if (res.statusCode >= 400) assertNoLeak(res.body, `${method} ${path} → ${res.statusCode}`);
    return res;
  };
}

/** t.gql, but every answer is checked: no `stacktrace` extension, no leaks in any error. */
export function guardGql(t: TestApp): GqlFn {
  return (async (query: string, variables?: Record<string, unknown>, opts?: Parameters<GqlFn>[2]) => {
    const res = await t.gql(query, variables, opts);
    for (const e of res.errors ?? []) {
      if (e.extensions && 'stacktrace' in e.extensions)
        throw new Error(`GraphQL error carries a stacktrace: ${JSON.stringify(e)}`);
      assertNoLeak(JSON.stringify(e), `GraphQL error for ${query.slice(0, 60)}`);
    }
    return res;
  }) as GqlFn;
}

export const REASON: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
};

const ERROR_KEYS = new Set(['code', 'status', 'message', 'resourceId', 'details']);

/**
 * The answer is `status` with the contract's Error body. `operationId` validates it against that
 * operation's documented response; statuses no operation documents (405, 413, 415, unknown
 * routes) are validated against the Error schema through an operation that declares it for 400.
 */
export async function expectError(
  res: LightMyRequestResponse,
  status: number,
  operationId?: string,
  message?: string | RegExp,
): Promise<Record<string, unknown>> {
  if (res.statusCode !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  }
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = res.json() as Record<string, unknown>;
  expect(body.code).toBe(status);
  expect(body.status).toBe(REASON[status]);
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  expect(Object.keys(body).filter((k) => !ERROR_KEYS.has(k))).toEqual([]);
  // The operation's own documented answer (a status it does not document validates trivially),
  // and always the Error schema itself.
  if (operationId) await expectContract(operationId, status, body);
  await expectContract('POST-customer-segment-create-segment', 400, body);
  if (message instanceof RegExp) expect(body.message).toMatch(message);
  else if (message !== undefined) expect(body.message).toBe(message);
  return body;
}

/** A 400 whose message (or details.field) names `field`. */
export async function expect400(res: LightMyRequestResponse, operationId: string, field: string | RegExp): Promise<void> {
  const body = await expectError(res, 400, operationId);
  const details = body.details as { field?: string } | undefined;
  const text = `${body.message as string} ${details?.field ?? ''}`;
  if (field instanceof RegExp) expect(text).toMatch(field);
  else expect(text).toContain(field);
}

export const INVALID_TOKEN = { faultstring: 'Invalid access token', errorcode: 'oauth.v2.InvalidAccessToken' };
export const EXPIRED_TOKEN = { faultstring: 'Access Token expired', errorcode: 'keymanagement.service.access_token_expired' };

/** A 401 with the platform's fault body, validated against the operation's documented 401. */
export async function expectFault(
  res: LightMyRequestResponse,
  operationId: string,
  fault: { faultstring: string | RegExp; errorcode: string },
): Promise<void> {
  if (res.statusCode !== 401) throw new Error(`expected HTTP 401, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  const body = res.json() as { fault?: { faultstring?: string; detail?: { errorcode?: string } } };
  await expectContract(operationId, 401, body);
  expect(Object.keys(body)).toEqual(['fault']);
  if (fault.faultstring instanceof RegExp) expect(body.fault?.faultstring).toMatch(fault.faultstring);
  else expect(body.fault?.faultstring).toBe(fault.faultstring);
  expect(body.fault?.detail?.errorcode).toBe(fault.errorcode);
}

/** A SegmentResponse as the REST API returns it (absent optional fields are absent, not null). */
export interface SegmentDoc {
  id: string;
  name: Record<string, string>;
  description?: Record<string, string>;
  validity?: { from?: string; to?: string };
  status: string;
  siteCode: string;
  mixins?: Record<string, unknown>;
  metadata: { createdAt: string; modifiedAt: string; version: number; mixins?: Record<string, string> };
}

let counter = 0;
/** A unique id (valid per docs/behaviour.md: ≤ 64 characters, no '/', no whitespace). */
export function uid(prefix = 'seg'): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** ISO-8601 UTC with milliseconds and `Z`, as docs/behaviour.md prescribes for timestamps. */
export const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A customer assignment row as migrations/002_assignments.ts defines it. */
export function assignmentRow(
  tenant: string,
  segmentId: string,
  customerId: string,
  legalEntityId = '',
): Record<string, unknown> {
  const now = Date.now();
  return {
    tenant,
    segment_id: segmentId,
    customer_id: customerId,
    legal_entity_id: legalEntityId,
    assignment_type: 'MANUAL',
    mixins: null,
    metadata_mixins: null,
    version: 1,
    created_at: now,
    modified_at: now,
  };
}

export function itemAssignmentRow(tenant: string, segmentId: string, itemId: string, type = 'PRODUCT'): Record<string, unknown> {
  const now = Date.now();
  return {
    tenant,
    segment_id: segmentId,
    type,
    item_id: itemId,
    mixins: null,
    metadata_mixins: null,
    version: 1,
    created_at: now,
    modified_at: now,
  };
}
