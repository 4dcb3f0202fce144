import type { Run } from '../graphql/jit';

/**
 * The points where the service's own code adds to a trace. Set only when tracing is on
 * (tracing/sdk.ts); while it is off they are undefined and cost one check where a route or an
 * operation is set up (once, not per request), so nothing of OpenTelemetry is ever loaded.
 */
export interface TracingHooks {
  /** Wraps a compiled GraphQL operation (either face) so that each run is a span. */
  traceOperation(run: Run, type: string, name: string | undefined): Run;
  /** Names the current request's HTTP server span after its route pattern. */
  tagRoute(route: string): void;
}

let installed: TracingHooks | undefined;

export function installTracingHooks(hooks: TracingHooks): void {
  installed = hooks;
}

export function tracingHooks(): TracingHooks | undefined {
  return installed;
}
