import 'reflect-metadata';
import { buildApp } from './app';
import { signToken } from './auth/token';
import { ALL_SCOPES } from './auth/scopes';
import { ensureDevSecret } from './auth/dev-secret';
import { ConfigError, loadConfig } from './config';
import { migrateLatest, openDatabase } from './db/knex';

/** Entry: load config → open db → migrate → build app → listen; drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(config.db);
  await migrateLatest(db);
  const { app } = await buildApp({ config, db });
  await app.listen({ host: config.host, port: config.port });
  const base = `http://${config.host}:${config.port}`;
  console.log(
    `Customer segment service on ${base} (database: ${config.db.client === 'sqlite' ? config.db.connection : 'MySQL'})`,
  );
  console.log(`  GraphQL  ${base}/graphql   REST  ${base}/customer-segment/{tenant}/segments`);
  if (config.auth.devSecret) {
    const token = await signToken(ensureDevSecret(config.dataDir), { tenant: 'demo', scopes: [...ALL_SCOPES], expiresIn: '30d' });
    console.log('\nDevelopment admin token (tenant "demo", all three scopes, valid 30 days):\n');
    console.log(`export TOKEN=${token}\n`);
  }
  const stop = async (signal: string) => {
    app.log.info(`${signal}: draining`);
    await app.close();
    await db.knex.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
