import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KnexInstrumentation } from '@opentelemetry/instrumentation-knex';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Run } from '../graphql/jit';
import { installTracingHooks } from './hooks';

export interface TracingOptions {
  /** service.name, unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise. */
  serviceName: string;
  /**
   * Where spans go; default the OTLP/HTTP exporter, configured by the standard OTEL_EXPORTER_OTLP_*
   * variables and fed in batches. A given exporter (tests: an in-memory one) gets each span as it ends.
   */
  exporter?: SpanExporter;
}

export interface TracingHandle {
  /** Exports what is still queued and stops; the server calls it before exiting. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes would be most of the traces and say nothing. */
const UNTRACED = /^\/(health|metrics)(\/|$|\?)/;

/**
 * OpenTelemetry tracing: incoming HTTP requests, GraphQL parsing and validation (graphql-js),
 * each GraphQL operation run (our own span: operations run compiled by graphql-jit, which the
 * GraphQL instrumentation does not see — on both faces), and every SQL statement (Knex, and
 * mysql2 below it). Must run before those modules are loaded (register.ts).
 */
export function startTracing(options: TracingOptions): TracingHandle {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  // Bounded: at most 2048 spans wait for the exporter (BatchSpanProcessor's queue); beyond
  // that, new spans are dropped rather than held while a collector is down.
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter(), { maxQueueSize: 2048 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED.test(req.url ?? '') }),
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true }),
      new KnexInstrumentation(),
      new MySQL2Instrumentation(),
    ],
  });
  const tracer = provider.getTracer('customer-segment-gateway');

  installTracingHooks({
    traceOperation(run: Run, type: string, name: string | undefined): Run {
      // GraphQL semantic conventions: "{type} {name}", or the type alone for an anonymous operation.
      const spanName = name ? `${type} ${name}` : type;
      const attributes = name
        ? { 'graphql.operation.type': type, 'graphql.operation.name': name }
        : { 'graphql.operation.type': type };
      return (contextValue, variables) =>
        tracer.startActiveSpan(spanName, { attributes }, async (span: Span) => {
          try {
            const result = await run(contextValue, variables);
            // Errors in the result are mostly the caller's (not found, bad input): counted, not failed.
            if (result.errors?.length) span.setAttribute('graphql.errors', result.errors.length);
            return result;
          } catch (e) {
            span.recordException(e as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw e;
          } finally {
            span.end();
          }
        });
    },
    tagRoute(route: string): void {
      const metadata = getRPCMetadata(context.active());
      if (metadata?.type === RPCType.HTTP) metadata.route = route;
    },
  });

  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
    },
  };
}
