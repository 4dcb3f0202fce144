/**
 * Tracing, switched on by the standard OTLP variables (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). The server entry imports this module before anything
 * else: the instrumentations hook `require`, so they must be registered before http, graphql,
 * knex and mysql2 are first loaded. Off, OpenTelemetry's SDK and instrumentations are never
 * loaded at all.
 */
import { tracingConfig } from '../config';
import type { TracingHandle } from './sdk';

const config = tracingConfig();

export const tracing: TracingHandle | undefined = config.enabled
  ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- required only when on, and synchronously: an import() would run after the modules it must instrument
    (require('./sdk') as typeof import('./sdk')).startTracing({ serviceName: config.serviceName })
  : undefined;
