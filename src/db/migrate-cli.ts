import { type Config, ConfigError, loadConfig } from '../config';
import { describeDatabase, explainStartupError } from '../startup-errors';
import { migrateLatest, openDatabase } from './knex';

let config: Config | undefined;

// `npm run migrate`: the same migrations the server runs at start-up, against the same config.
async function main(): Promise<void> {
  config = loadConfig();
  const db = openDatabase(config.db, config.limits);
  try {
    await migrateLatest(db);
    console.log(`migrations up to date (${describeDatabase(config.db)})`);
  } finally {
    await db.knex.destroy();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(2);
  }
  const explained = config && explainStartupError(err, config);
  console.error(explained ? `Cannot migrate: ${explained}` : err instanceof Error ? err.message : err);
  process.exit(1);
});
