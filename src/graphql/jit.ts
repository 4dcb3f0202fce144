import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  execute,
  type ExecutionResult,
  type FragmentDefinitionNode,
  getOperationAST,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { documentBytes } from './document-store';
import { isIntrospectionOnly } from './introspection';
import { tracingHooks } from '../tracing/hooks';

export type Run = (contextValue: unknown, variables: Record<string, unknown> | undefined) => Promise<ExecutionResult>;

/**
 * One operation compiled (graphql-jit) so that no request plans it again. graphql-jit departs
 * from the spec in one place we meet: a non-null variable with a default, left out, is reported
 * missing instead of taking its default — so declared defaults are filled in first.
 */
export function compileOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
): Run | ExecutionResult {
  const compiled = compileQuery(schema, document, operationName ?? undefined);
  if (!isCompiledQuery(compiled)) return compiled;
  const query = compiled as CompiledQuery<unknown, Record<string, unknown>>;
  const op = getOperationAST(document, operationName ?? undefined);
  const defaults = (op?.variableDefinitions ?? [])
    .filter((d) => d.defaultValue !== undefined)
    .map((d) => [d.variable.name.value, valueFromASTUntyped(d.defaultValue as never)] as const);
  const run: Run = async (contextValue, variables) => {
    let vars = variables ?? {};
    for (const [name, value] of defaults) if (vars[name] === undefined) vars = { ...vars, [name]: value };
    const result = (await query.query(undefined, contextValue, vars)) as ExecutionResult;
    // No data at all: the variables did not coerce. That is the caller's input, as in graphql-js
    // under Apollo (BAD_USER_INPUT, HTTP 400).
    if (result.data === undefined && result.errors?.length) {
      return {
        errors: result.errors.map(
          (e) => new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } }),
        ),
      };
    }
    return result.errors?.length ? { ...result, errors: result.errors.map(withExtensions) } : result;
  };
  // Tracing on: each run is a span (the GraphQL instrumentation only sees graphql-js's execute).
  const hooks = tracingHooks();
  return hooks ? hooks.traceOperation(run, op?.operation ?? 'query', op?.name?.value) : run;
}

/**
 * graphql-jit wraps a resolver's plain Error (a bug, a driver failure, a stack overflow) in an
 * error whose `extensions` is undefined, where graphql-js always sets an object. Apollo reads
 * `extensions.code` unguarded, so such an error crashed its error formatting: the client got a
 * bare INTERNAL_SERVER_ERROR and formatError never saw, masked or logged the cause. Re-wrapped
 * as graphql-js would have made it, it takes the ordinary path.
 */
function withExtensions(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const wrapped = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? error });
  return Object.assign(wrapped, { locations: error.locations });
}

/**
 * Heap bytes of a compiled operation, estimated from the fields it selects (fragments expanded):
 * graphql-jit generates code and resolve-info closures per field. Measured 0.7–6.7 KiB per
 * field, so 8 KiB over-estimates rather than under.
 */
const BYTES_PER_FIELD = 8 * 1024;

/** Fields the operation selects with every fragment spread expanded, counting stops at `cap`. */
export function selectedFields(document: DocumentNode, operation: OperationDefinitionNode, cap: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let count = 0;
  const stack: SelectionSetNode[] = [operation.selectionSet];
  while (stack.length && count <= cap) {
    for (const s of (stack.pop() as SelectionSetNode).selections) {
      if (s.kind === Kind.FIELD) {
        count++;
        if (s.selectionSet) stack.push(s.selectionSet);
      } else if (s.kind === Kind.INLINE_FRAGMENT) stack.push(s.selectionSet);
      else {
        // Validation has ruled out cycles and unknown fragments.
        const f = fragments.get(s.name.value);
        if (f) stack.push(f.selectionSet);
      }
    }
  }
  return count;
}

export interface CompiledCacheBounds {
  max: number;
  maxBytes: number;
}

/** An operation Apollo accepted and executed, compiled: what graphql/replay.ts answers repeats with. */
export interface CompiledOperation {
  run: Run;
  /** The document Apollo parsed and validated, and the operation it resolved in it. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  bytes: number;
}

/**
 * What a request's context may carry into the executor: a result already computed for it
 * (graphql/replay.ts hands Apollo an answer with errors to format, log and give a status,
 * without running the operation twice). Read once, then gone.
 */
export const ANSWERED = Symbol('answered');
export interface MayCarryAnswer {
  [ANSWERED]?: ExecutionResult;
}

/**
 * The compiled operations, and Apollo's way to them: a "gateway" serving our own schema whose
 * executor runs compiled queries. Parsing, validation (depth and cost limits included), plugins
 * and error formatting stay Apollo's.
 *
 * Compiled operations are kept by query text and operation name, in an LRU bounded by count and
 * estimated bytes (the text counted in): the key is what a client sends, so without a bound
 * every distinct query would leave its compiled code behind. An entry exists only once Apollo
 * has parsed, validated and resolved the operation and the service's checks let it run, which
 * is what lets graphql/replay.ts answer a repeat of it. Introspection is not compiled at all:
 * anyone may send it without a token, it is not a hot path, and compiling the full
 * introspection query costs ~10 ms and ~140 KB.
 */
export class CompiledOperations {
  private readonly cache: LRUCache<string, CompiledOperation>;
  private readonly fieldCap: number;

  constructor(
    private readonly schema: GraphQLSchema,
    bounds: CompiledCacheBounds,
  ) {
    this.cache = new LRUCache<string, CompiledOperation>({
      max: bounds.max,
      maxSize: bounds.maxBytes,
      sizeCalculation: (c) => c.bytes,
    });
    this.fieldCap = Math.ceil(bounds.maxBytes / BYTES_PER_FIELD);
  }

  /** The operation Apollo accepted for this text and operation name, if it is still kept. */
  get(source: string, operationName: string | null | undefined): CompiledOperation | undefined {
    return this.cache.get(keyOf(source, operationName));
  }

  /** The gateway Apollo is given (`gateway:`). */
  gateway(): GatewayInterface {
    const executor: GatewayExecutor = async (rc) => {
      const carried = rc.context as MayCarryAnswer;
      const answered = carried[ANSWERED];
      if (answered) {
        delete carried[ANSWERED];
        return answered as ExecutionResult<Record<string, unknown>>;
      }
      return (await this.execute(rc)) as ExecutionResult<Record<string, unknown>>;
    };
    const schema = this.schema;
    return {
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => undefined;
      },
      load: async () => ({ executor }),
      stop: async () => undefined,
    };
  }

  private async execute(rc: Parameters<GatewayExecutor>[0]): Promise<ExecutionResult> {
    const { document, operationName, source } = rc;
    // Typed as always present, but absent when the request named no operation the document has.
    const operation = rc.operation as OperationDefinitionNode | undefined;
    const variables = rc.request.variables;
    if (operation && isIntrospectionOnly(document, operation)) {
      return execute({ schema: this.schema, document, operationName, variableValues: variables, contextValue: rc.context });
    }
    const key = keyOf(source, rc.request.operationName);
    let run = this.cache.get(key)?.run;
    if (!run) {
      // The name the request gave, not the one Apollo resolved (null when the document has no
      // operation of that name: graphql-jit would then pick the document's only operation).
      const compiled = compileOperation(this.schema, document, rc.request.operationName);
      // A document that does not compile (no such operation) is answered, not kept.
      if (typeof compiled !== 'function') return compiled;
      // Not expected: graphql-jit compiled the operation the request named (or the document's
      // only one), which Apollo resolves too. Should the two ever disagree, the request is still
      // answered, but nothing is kept: a cache entry must carry the operation Apollo accepted
      // (the replay checks the request against it).
      if (!operation) return compiled(rc.context, variables);
      run = compiled;
      const fields = selectedFields(document, operation, this.fieldCap);
      // The compiled code holds the document's field nodes, whether or not Apollo still does.
      const bytes = fields * BYTES_PER_FIELD + documentBytes(document) + 2 * key.length;
      this.cache.set(key, { run, document, operation, bytes });
    }
    return run(rc.context, variables);
  }
}

/** Operation names are GraphQL names and a source cannot hold U+0000: the key is unambiguous. */
const keyOf = (source: string, operationName: string | null | undefined): string => `${source}\u0000${operationName ?? ''}`;
