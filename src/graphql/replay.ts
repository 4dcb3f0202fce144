import type { ExecutionResult } from 'graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Context } from './context';
import { ANSWERED, type CompiledOperations } from './jit';
import type { OperationChecks } from './apollo';

/** Accept header values whose content type is remembered (an LRU: the value is client input). */
const ACCEPT_VALUES = 64;

/** The POST body keys Apollo reads; a body with any other key (`extensions`) goes to Apollo. */
const BODY_KEYS = new Set(['query', 'variables', 'operationName']);

interface PlainBody {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A POST body of exactly the shape Apollo accepts without a word (runHttpQuery's checks). */
function plainBody(body: unknown): PlainBody | undefined {
  if (!isRecord(body) || typeof body.query !== 'string' || body.query === '') return undefined;
  for (const key in body) if (!BODY_KEYS.has(key)) return undefined;
  const { variables, operationName } = body;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  return body as unknown as PlainBody;
}

/**
 * Repeats of a query Apollo has already served, answered without Apollo's per-request pipeline.
 *
 * Apollo Server serves GraphQL: it parses and validates every document (depth, alias, directive
 * and shape limits), resolves its operation, runs the service's checks and executes it through
 * the compiled-operation gateway (graphql/jit.ts), which keeps the compiled operation. Its
 * pipeline around that costs 100–140 µs of CPU per request (bench/apollo-pipeline.ts), about a
 * third of a read by id. A POST that sends, with a token, a text and operation name Apollo has
 * already accepted as a query is answered here instead, the way the REST adapter answers its
 * routes: the same compiled operation, schema, resolvers and loaders, and the same checks
 * (`OperationChecks`: a token, the row cost for these variables) run on this request.
 *
 * Only a clean answer is sent from here, and exactly as Apollo writes one: status 200, the
 * content type Apollo chose for the same Accept header (learned from its answers, never
 * guessed), and `{"data":…}` with its trailing newline. Everything else goes to Apollo whole:
 * a GET, a body of any other shape, an operation Apollo has not run (or whose compiled form
 * was evicted), a mutation, a request a check refuses (Apollo refuses it again, with its
 * answer), and a result with errors — handed to Apollo already computed (jit.ts `ANSWERED`),
 * so that it formats, logs and gives a status to the errors without the operation running
 * twice. test/graphql/replay.test.ts sends the same requests through both and compares them
 * byte for byte.
 *
 * Off with GRAPHQL_REPLAY=false, and whenever tracing is on (a span per operation is Apollo's).
 */
export class OperationReplay {
  /** Accept header (or '' for none) → the content type Apollo answered a complete 200 with. */
  private readonly contentTypes = new LRUCache<string, string>({ max: ACCEPT_VALUES });
  /** Requests answered here: for tests and the bench to see that the path runs. */
  answered = 0;

  constructor(
    private readonly operations: CompiledOperations,
    private readonly checks: OperationChecks,
  ) {}

  /**
   * The answer's body when this request was answered here (status and headers set on `reply`);
   * otherwise what to give Apollo as the request's context: a context that already carries a
   * result, or undefined for Apollo to create one.
   */
  async serve(
    request: FastifyRequest,
    reply: FastifyReply,
    createContext: () => Promise<Context>,
  ): Promise<string | Context | undefined> {
    if (request.method !== 'POST' || !request.viewer) return undefined;
    const body = plainBody(request.body);
    if (!body) return undefined;
    const contentType = this.contentTypes.get(acceptOf(request));
    if (contentType === undefined) return undefined;
    const compiled = this.operations.get(body.query, body.operationName);
    if (!compiled || compiled.operation.operation !== 'query') return undefined;
    const contextValue = await createContext();
    const variables = body.variables ?? undefined;
    const { document, operation } = compiled;
    try {
      this.checks({ contextValue, document, operation, request: { variables } });
    } catch {
      return undefined;
    }
    const result: ExecutionResult = await compiled.run(contextValue, variables);
    if (result.errors?.length || !result.data || result.extensions) {
      return Object.assign(contextValue, { [ANSWERED]: result });
    }
    this.answered++;
    void reply.code(200).header('content-type', contentType);
    return `{"data":${JSON.stringify(result.data)}}\n`;
  }

  /** What Apollo answered a request with: a complete 200 teaches the content type for its Accept. */
  learn(request: FastifyRequest, status: number | undefined, headers: Iterable<[string, string]>): void {
    // A GET may be answered with the landing page's HTML: only POSTs teach what a POST gets.
    if (request.method !== 'POST' || (status !== undefined && status !== 200)) return;
    let contentType: string | undefined;
    for (const [key, value] of headers) {
      // Any other header would have to be repeated here: such an answer teaches nothing.
      if (key !== 'content-type') return;
      contentType = value;
    }
    if (contentType !== undefined) this.contentTypes.set(acceptOf(request), contentType);
  }
}

const acceptOf = (request: FastifyRequest): string => request.headers.accept ?? '';
