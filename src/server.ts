// First: tracing (when configured) must hook require before http, graphql, knex and mysql2 load.
import { tracing } from './tracing/register';
import 'reflect-metadata';
import { getHeapStatistics } from 'node:v8';
import { buildApp } from './app';
import { signToken } from './auth/token';
import { ALL_SCOPES, SCOPE } from './auth/scopes';
import { ensureDevSecret } from './auth/dev-secret';
import { type Config, ConfigError, loadConfig } from './config';
import { migrateLatest, openDatabase } from './db/knex';
import { DEMO_TENANT, seedDemo } from './demo/seed-demo';
import { shutdown } from './shutdown';
import { describeDatabase, explainStartupError } from './startup-errors';

let config: Config | undefined;

/** Entry: load config → open db → migrate → build app → listen; drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const cfg = loadConfig();
  config = cfg;
  const db = openDatabase(cfg.db, cfg.limits);
  await migrateLatest(db);
  const { app, services, lifecycle } = await buildApp({ config: cfg, db });
  if (cfg.seedDemo && cfg.env === 'development' && (await seedDemo(services))) {
    console.log(`Loaded the demo tenant "${DEMO_TENANT}" (SEED_DEMO=false turns this off).`);
  }
  await app.listen({ host: cfg.host, port: cfg.port });
  const base = `http://${cfg.host}:${cfg.port}`;
  console.log(`Customer segment service on ${base} (database: ${describeDatabase(cfg.db)})`);
  console.log(`  GraphQL  ${base}/graphql   REST  ${base}/customer-segment/{tenant}/segments`);
  console.log(`  REST docs ${base}/docs   contract  ${base}/customer-segment/openapi.json`);
  console.log(
    `  V8 heap limit ${Math.round(getHeapStatistics().heap_size_limit / 1048576)} MB (npm start: old space HEAP_LIMIT_MB, default 192, + young generation)`,
  );
  if (cfg.auth.devSecret) {
    const secret = ensureDevSecret(cfg.dataDir);
    const token = await signToken(secret, { tenant: DEMO_TENANT, scopes: [...ALL_SCOPES], expiresIn: '30d' });
    const alice = await signToken(secret, {
      tenant: DEMO_TENANT,
      scopes: [SCOPE.readOwn],
      customerId: 'c-alice',
      expiresIn: '30d',
    });
    console.log('\nDevelopment tokens (tenant "demo", valid 30 days). Admin, all three scopes:\n');
    console.log(`export TOKEN=${token}\n`);
    console.log('Customer c-alice of the demo data (segment_read_own):\n');
    console.log(`export CUSTOMER_TOKEN=${alice}\n`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: draining`);
    try {
      const { forced } = await shutdown(app, db, lifecycle, {
        delayMs: cfg.limits.shutdownDelayMs,
        timeoutMs: cfg.limits.shutdownTimeoutMs,
      });
      app.log.info(forced ? 'stopped (some requests were cut at the deadline)' : 'stopped');
      await tracing?.shutdown();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(2);
  }
  const explained = config && explainStartupError(err, config);
  console.error(explained ? `Cannot start: ${explained}` : err);
  process.exit(1);
});
