import { loadConfig } from '../config';
import { migrateLatest, openDatabase } from './knex';

// `npm run migrate`: the same migrations the server runs at start-up, against the same config.
async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(config.db, config.limits);
  try {
    await migrateLatest(db);
    console.log(`migrations up to date (${config.db.client})`);
  } finally {
    await db.knex.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
