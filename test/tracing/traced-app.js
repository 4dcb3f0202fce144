/**
 * Child process of tracing.test.ts (plain Node, not Jest: Jest's module registry bypasses the
 * require hook the instrumentations rely on). Starts tracing with an in-memory exporter before
 * anything instrumented is loaded — as dist/src/server.js does with OTLP — then runs the compiled
 * app on the database named in the environment, makes one REST and one GraphQL request over
 * HTTP, and prints the finished spans as one JSON line.
 */
/* global console, fetch, setTimeout */
require('reflect-metadata');
const path = require('node:path');
const { InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');

const dist = path.resolve(__dirname, '../../dist/src');
const exporter = new InMemorySpanExporter();
const tracing = require(path.join(dist, 'tracing/sdk.js')).startTracing({ serviceName: 'traced-app-test', exporter });

const { buildApp } = require(path.join(dist, 'app.js'));
const { loadConfig } = require(path.join(dist, 'config.js'));
const { openDatabase } = require(path.join(dist, 'db/knex.js'));
const { signToken } = require(path.join(dist, 'auth/token.js'));
const { ALL_SCOPES } = require(path.join(dist, 'auth/scopes.js'));

async function main() {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false' });
  const db = openDatabase(config.db);
  const { app } = await buildApp({ config, db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${app.server.address().port}`;
  const token = await signToken(process.env.AUTH_JWT_SECRET, { tenant: 'acme', scopes: [...ALL_SCOPES], expiresIn: '1h' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const put = await fetch(`${base}/customer-segment/acme/segments/s-1`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ name: { en: 'One' }, siteCode: 'main' }),
  });
  await put.text();
  exporter.reset();

  const rest = await fetch(`${base}/customer-segment/acme/segments/s-1`, { headers });
  await rest.text();
  const gql = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: 'query TracedSegment { segment(id: "s-1") { id name } }' }),
  });
  await gql.text();
  const health = await fetch(`${base}/health/ready`);
  await health.text();
  // The HTTP span ends when the response has finished, a tick after the client has read it.
  await new Promise((r) => setTimeout(r, 100));

  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    attributes: s.attributes,
  }));
  process.stdout.write(`${JSON.stringify({ statuses: [put.status, rest.status, gql.status, health.status], spans })}\n`);
  await app.close();
  await db.knex.destroy();
  await tracing.shutdown();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
