import { loadConfig } from './src/config';
import { knexConfig } from './src/db/knex';
import { migrationSource } from './src/db/migration-source';

// For the knex CLI; the service itself migrates at start-up with the same settings.
const config = loadConfig();
export default { ...knexConfig(config.db, config.limits), migrations: { migrationSource } };
