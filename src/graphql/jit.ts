import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  type ExecutionResult,
  getOperationAST,
  GraphQLError,
  type GraphQLSchema,
  valueFromASTUntyped,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

export type Run = (contextValue: unknown, variables: Record<string, unknown> | undefined) => Promise<ExecutionResult>;

/**
 * graphql-jit wraps an error that has no `extensions` (a driver error, a bug) in its own
 * GraphQLError with `extensions` undefined, where graphql-js gives `{}`; Apollo then fails
 * reading the code and answers without ever calling formatError (no mapping, no log line).
 * Such errors are re-made as graphql-js makes them, path, locations and original kept.
 */
function withExtensions(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const remade = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined });
  // graphql-js derives locations from AST nodes, which graphql-jit does not keep; copy them over.
  (remade as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return remade;
}

/**
 * One operation compiled (graphql-jit) so that no request plans it again. graphql-jit departs
 * from the spec in one place we meet: a non-null variable with a default, left out, is reported
 * missing instead of taking its default — so declared defaults are filled in first.
 */
function compile(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Run | ExecutionResult {
  const compiled = compileQuery(schema, document, operationName ?? undefined);
  if (!isCompiledQuery(compiled)) return compiled;
  const query = compiled as CompiledQuery<unknown, Record<string, unknown>>;
  const op = getOperationAST(document, operationName ?? undefined);
  const defaults = (op?.variableDefinitions ?? [])
    .filter((d) => d.defaultValue !== undefined)
    .map((d) => [d.variable.name.value, valueFromASTUntyped(d.defaultValue as never)] as const);
  return async (contextValue, variables) => {
    let vars = variables ?? {};
    for (const [name, value] of defaults) if (vars[name] === undefined) vars = { ...vars, [name]: value };
    const result = (await query.query(undefined, contextValue, vars)) as ExecutionResult;
    if (result.errors?.some((e) => !e.extensions)) result.errors = result.errors.map(withExtensions);
    // No data at all: the variables did not coerce. That is the caller's input, as in graphql-js
    // under Apollo (BAD_USER_INPUT, HTTP 400).
    if (result.data === undefined && result.errors?.length) {
      return {
        errors: result.errors.map(
          (e) => new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } }),
        ),
      };
    }
    return result;
  };
}

/**
 * Compiled operations by document object: Apollo keeps parsed, validated documents in its
 * document store, so a repeated query arrives as the same DocumentNode, and a document that
 * falls out of that store takes its compiled form with it (WeakMap).
 */
export function jitCompiler(schema: GraphQLSchema) {
  const cache = new WeakMap<DocumentNode, Map<string, Run | ExecutionResult>>();
  return function compiled(document: DocumentNode, operationName?: string | null): Run | ExecutionResult {
    let byOperation = cache.get(document);
    if (!byOperation) cache.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let run = byOperation.get(key);
    if (!run) byOperation.set(key, (run = compile(schema, document, operationName)));
    return run;
  };
}

/**
 * Apollo Server runs operations through a gateway's executor when one is given; this "gateway"
 * serves our own schema and executes with compiled queries. Parsing, validation (depth and cost
 * limits included), plugins and error formatting stay Apollo's.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiled = jitCompiler(schema);
  const executor: GatewayExecutor = async (rc) => {
    const run = compiled(rc.document, rc.operationName);
    if (typeof run !== 'function') return run as ExecutionResult<Record<string, unknown>>;
    return (await run(rc.context, rc.request.variables)) as ExecutionResult<Record<string, unknown>>;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    load: async () => ({ executor }),
    stop: async () => undefined,
  };
}
