import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, HTTPMethods } from 'fastify';
import {
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  typeFromAST,
  validate,
} from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import { Negotiator } from '@fastify/accept-negotiator';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { isTenant, TENANT_RULE } from '../auth/tenant';
import { hasAnyScope, missingScopeMessage, type Viewer } from '../auth/viewer';
import { type Context, createContext, languageOf, type Services } from '../graphql/context';
import { compileOperation, type Run } from '../graphql/jit';
import { BadInputError, DomainError, ForbiddenError, UnauthenticatedError } from '../errors';
import { bulkError, type BulkResultShape } from '../modules/shared/bulk';
import { parseFields, project } from '../query/projection';
import { QueryError } from '../query/errors';
import { isDatabaseUnavailable } from '../db/errors';
import { checkVariable } from './coerce';
import { answerForErrors, errorBody, type HttpAnswer } from './http-errors';

export interface RestRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  headers: FastifyRequest['headers'];
}

export interface RestReply {
  status: number;
  body?: unknown;
  /** Sent as X-Total-Count when the client asked for it. */
  total?: number;
}

/** One documented endpoint: how HTTP becomes a GraphQL operation and back. */
export interface RouteRow<TData = Record<string, unknown>, TVars = Record<string, unknown>> {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below /customer-segment/:tenant. */
  path: string;
  /** Any one of these scopes lets the request in (the contract's "Required scopes"). */
  scopes: readonly string[];
  document: TypedDocumentNode<TData, TVars>;
  /** Raw values by variable name: the adapter checks them against the operation's types. */
  variables: (req: RestRequest) => { [K in keyof TVars]: unknown };
  /** Bulk rows: the list variable whose elements fail one by one, and where the results are. */
  bulk?: { variable: string; results: (data: TData) => readonly BulkRow[] };
  respond?: (data: TData, req: RestRequest) => RestReply;
  /** Paths a `fields` projection always keeps (identifying ids); absent = no projection. */
  keep?: string[][];
  /**
   * The answer comes from a cache instead of running the operation (a GET): serialized, with
   * its entity tag. Authorization and variables are checked as for any row; a request whose
   * If-None-Match names the tag gets 304 without a body. With `gzip`, a client that accepts it
   * gets those bytes (Content-Encoding: gzip) under a tag of their own.
   */
  cached?: (ctx: Context, variables: Record<string, unknown>) => Promise<CachedAnswer>;
}

/** A kept answer (RouteRow.cached): the serialized body, its entity tag, and its gzip form on demand. */
export interface CachedAnswer {
  etag: string;
  body: Buffer;
  gzip?: () => Promise<Buffer>;
}

// Rows are heterogeneous in their data/variable types; the table is typed per row by `route()`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each row is checked by route<TData, TVars>()
export type AnyRoute = RouteRow<any, any>;

export function route<TData, TVars>(row: RouteRow<TData, TVars>): RouteRow<TData, TVars> {
  return row;
}

/** A BulkResult as the operation returns it (GraphQL nulls included). */
export interface BulkRow {
  index: number;
  id?: string | null;
  code: number;
  status: string;
  message?: string | null;
}

/** What each row needs at request time, computed once at start-up. */
interface Prepared {
  row: AnyRoute;
  varTypes: Map<string, GraphQLInputType>;
  bulkType?: GraphQLInputType;
  /** The row's document compiled once (graphql-jit): no per-request planning of the operation. */
  run: Run;
  /** Its GraphQL operation name, for log lines. */
  operationName: string;
}

function prepare(schema: GraphQLSchema, row: AnyRoute): Prepared {
  const errors = validate(schema, row.document);
  if (errors.length) throw new Error(`${row.operationId}: invalid operation: ${errors[0].message}`);
  const op = row.document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const varTypes = new Map<string, GraphQLInputType>();
  for (const def of op.variableDefinitions ?? []) {
    varTypes.set(def.variable.name.value, typeFromAST(schema, def.type as never) as GraphQLInputType);
  }
  let bulkType: GraphQLInputType | undefined;
  if (row.bulk) {
    const listType = varTypes.get(row.bulk.variable);
    // [X!]! → X!: each element is checked on its own.
    const unwrapped = (listType as { ofType?: { ofType?: GraphQLInputType } } | undefined)?.ofType?.ofType;
    if (!unwrapped) throw new Error(`${row.operationId}: bulk variable ${row.bulk.variable} is not a list`);
    bulkType = unwrapped;
  }
  const run = compileOperation(schema, row.document);
  if (typeof run !== 'function') throw new Error(`${row.operationId}: cannot compile: ${JSON.stringify(run.errors)}`);
  return { row, varTypes, bulkType, run, operationName: op.name?.value ?? row.operationId };
}

/**
 * docs/behaviour.md order, from what identify.ts recorded before the body was read: token (401) →
 * tenant form (400) → token tenant (401) → scope (403). Input checks come after, in `handle`.
 */
function authorize(request: FastifyRequest, row: AnyRoute): Viewer {
  if (request.authFailure) throw request.authFailure;
  const viewer = request.viewer;
  if (!viewer) throw new UnauthenticatedError();
  const tenant = (request.params as Record<string, string>).tenant;
  if (!isTenant(tenant)) {
    throw new BadInputError(`tenant must be ${TENANT_RULE}`, 'tenant');
  }
  if (viewer.tenant !== tenant) throw new UnauthenticatedError('Invalid access token for this tenant', 'tenant');
  if (!hasAnyScope(viewer, row.scopes)) throw new ForbiddenError(missingScopeMessage(row.scopes));
  return viewer;
}

/** Checks every variable; for bulk rows, splits elements into the good ones and local 400s. */
function checkVariables(
  p: Prepared,
  raw: Record<string, unknown>,
): { variables: Record<string, unknown>; failed: Map<number, BulkResultShape>; positions: number[] } {
  const variables: Record<string, unknown> = {};
  const failed = new Map<number, BulkResultShape>();
  const positions: number[] = [];
  for (const [name, type] of p.varTypes) {
    const value = raw[name];
    if (p.row.bulk && name === p.row.bulk.variable && p.bulkType) {
      const good: unknown[] = [];
      (value as unknown[]).forEach((el, i) => {
        try {
          good.push(checkVariable(el, p.bulkType as GraphQLInputType, ''));
          positions.push(i + 1);
        } catch (e) {
          if (!(e instanceof BadInputError)) throw e;
          const id = (el as { id?: unknown } | null)?.id;
          failed.set(i + 1, { index: i + 1, ...bulkError(400, e.message, typeof id === 'string' ? id : undefined) });
        }
      });
      variables[name] = good;
    } else {
      variables[name] = checkVariable(value, type, name === 'input' || name === 'operations' ? '' : name);
    }
  }
  return { variables, failed, positions };
}

function mergeBulk(results: readonly BulkRow[], failed: Map<number, BulkResultShape>, positions: number[]): BulkResultShape[] {
  const out: BulkRow[] = [...failed.values()];
  for (const r of results) out.push({ ...r, index: positions[r.index - 1] });
  out.sort((a, b) => a.index - b.index);
  // GraphQL nulls are absent in REST bodies.
  return out.map(
    (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined)) as BulkResultShape,
  );
}

/** What the REST layer itself threw (auth, input, a null single read): the same mapping as execution errors. */
function fail(e: unknown): HttpAnswer {
  if (e instanceof DomainError || e instanceof QueryError || isDatabaseUnavailable(e)) return answerForErrors([e as Error]);
  throw e;
}

export function mountRoutes(app: FastifyInstance, services: Services, schema: GraphQLSchema, rows: readonly AnyRoute[]): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const row of rows) {
    const p = prepare(schema, row);
    const url = `/customer-segment/:tenant${row.path}`;
    if (!methodsByPath.has(url)) methodsByPath.set(url, new Set());
    methodsByPath.get(url)?.add(row.method);
    app.route({
      method: row.method,
      url,
      // Before the body is read: a caller who may not call never gets a body parsed.
      // Callback form (no promise per request); a refusal is answered here and done() not called.
      onRequest: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
        let answer: HttpAnswer;
        try {
          authorize(request, row);
          return done();
        } catch (e) {
          try {
            answer = fail(e);
          } catch (unexpected) {
            return done(unexpected as Error);
          }
        }
        send(reply, answer);
      },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const req: RestRequest = {
          params: request.params as Record<string, string>,
          query: request.query as Record<string, unknown>,
          body: request.body,
          headers: request.headers,
        };
        return send(reply, await handle(services, p, request, req));
      },
    });
  }
  // A documented path with an undocumented method is 405 (frameworks answer 404 by default).
  for (const [url, methods] of methodsByPath) {
    const others = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as HTTPMethods[]).filter((m) => !methods.has(m));
    if (!others.length) continue;
    app.route({
      method: others,
      url,
      handler: async (_req, reply) =>
        reply
          .code(405)
          .header('allow', [...methods].join(', '))
          .send(errorBody(405, `Method not allowed; this path supports ${[...methods].join(', ')}`)),
    });
  }
}

function send(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  if (answer.status >= 500) reply.request.failure = answer.cause;
  reply.code(answer.status);
  if (answer.headers) {
    // Vary adds to what hooks set (CORS's Origin in development) rather than replacing it.
    const vary = reply.getHeader('vary');
    reply.headers(answer.headers);
    if (vary !== undefined && answer.headers.vary) reply.header('vary', `${String(vary)}, ${answer.headers.vary}`);
  }
  return answer.body === undefined ? reply.send() : reply.send(answer.body);
}

async function handle(services: Services, p: Prepared, request: FastifyRequest, req: RestRequest): Promise<HttpAnswer> {
  const { row } = p;
  // Set by authorize() in this route's onRequest hook.
  const viewer = request.viewer as Viewer;
  request.graphqlOperation = p.operationName;
  try {
    const { variables, failed, positions } = checkVariables(p, row.variables(req) as Record<string, unknown>);
    const fields = row.keep ? parseFields(str(req.query.fields, 'fields')) : null;
    const contextValue = createContext(services, viewer, languageOf(req.headers, services.config.defaultLanguage), request);
    if (row.cached) return await answerCached(await row.cached(contextValue, variables), req.headers);
    const result = await p.run(contextValue, variables);
    if (result.errors?.length) return answerForErrors(result.errors as readonly GraphQLError[]);
    const data = result.data as Record<string, unknown>;
    if (row.bulk) return { status: 207, body: mergeBulk(row.bulk.results(data), failed, positions) };
    const reply = (row.respond as NonNullable<AnyRoute['respond']>)(data, req);
    const out: HttpAnswer = { status: reply.status, body: reply.body };
    if (fields && reply.body !== undefined && row.keep) {
      const keep = row.keep;
      out.body = Array.isArray(reply.body) ? reply.body.map((d) => project(d, fields, keep)) : project(reply.body, fields, keep);
    }
    const total = reply.total;
    if (total !== undefined) out.headers = { 'x-total-count': String(total) };
    return out;
  } catch (e) {
    return fail(e);
  }
}

/**
 * A kept answer: 304 when If-None-Match names its tag, else the bytes — gzip-compressed when the
 * client accepts gzip and the answer has a gzip form. The two forms are different
 * representations, so they carry different tags (`"…-gzip"`), and both vary on Accept-Encoding.
 * Clients may keep the answer and must revalidate it before using it.
 */
async function answerCached(answer: CachedAnswer, headers: IncomingHttpHeaders): Promise<HttpAnswer> {
  const zip = answer.gzip !== undefined && acceptsGzip(headers['accept-encoding']);
  const etag = zip ? `${answer.etag.slice(0, -1)}-gzip"` : answer.etag;
  const common = { etag, 'cache-control': 'private, no-cache', vary: 'accept-encoding' };
  if (etagMatches(headers['if-none-match'], etag)) return { status: 304, body: undefined, headers: common };
  const type = { ...common, 'content-type': 'application/json; charset=utf-8' };
  if (zip) {
    const zipped = await (answer.gzip as NonNullable<CachedAnswer['gzip']>)().catch(() => undefined);
    if (zipped) return { status: 200, body: zipped, headers: { ...type, 'content-encoding': 'gzip' } };
    // Compression failed (it is retried on the next request): this one goes out as it is.
    return { status: 200, body: answer.body, headers: { ...type, etag: answer.etag } };
  }
  return { status: 200, body: answer.body, headers: type };
}

const encodings = new Negotiator({ supportedValues: ['gzip', 'identity'] });

/** Whether Accept-Encoding prefers gzip to no encoding (RFC 9110 12.5.3; `gzip;q=0` refuses it). */
function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (value.length > 1024) return false;
  return encodings.negotiate(value) === 'gzip';
}

/** If-None-Match (RFC 9110 13.1.2, weak comparison): `*`, or a list of tags that names `etag`. */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  const wanted = weak(etag);
  return (Array.isArray(header) ? header.join(',') : header).split(',').some((t) => t.trim() === '*' || weak(t) === wanted);
}

/** A single-valued query parameter or header; repeating it is a 400, not a silent pick. */
export function str(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) throw new BadInputError(`${name} must be given once`, name);
  return String(v);
}
