import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import type { DbConfig } from '../../src/config';
import { type Database, migrateLatest, openDatabase } from '../../src/db/knex';

/**
 * The one switch: DB_CLIENT=mysql runs every suite on MariaDB/MySQL (MYSQL_URL, default
 * mysql://root@127.0.0.1:3306), anything else on a fresh SQLite file. Each test file gets its
 * own database, so files never see each other's rows.
 */
export const DB_CLIENT: 'mysql' | 'sqlite' = process.env.DB_CLIENT === 'mysql' ? 'mysql' : 'sqlite';
export const MYSQL_URL = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');

export interface TestDatabase {
  db: Database;
  config: DbConfig;
  drop: () => Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `csg_test_${randomBytes(5).toString('hex')}`;
  if (DB_CLIENT === 'mysql') {
    const admin = knexFactory({ client: 'mysql2', connection: { uri: MYSQL_URL } as never });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.destroy();
    const config: DbConfig = { client: 'mysql', connection: `${MYSQL_URL}/${name}` };
    const db = openDatabase(config);
    await migrateLatest(db);
    return {
      db,
      config,
      drop: async () => {
        await db.knex.destroy();
        const again = knexFactory({ client: 'mysql2', connection: { uri: MYSQL_URL } as never });
        await again.raw(`DROP DATABASE IF EXISTS \`${name}\``);
        await again.destroy();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-'));
  const config: DbConfig = { client: 'sqlite', connection: path.join(dir, `${name}.sqlite`) };
  const db = openDatabase(config);
  await migrateLatest(db);
  return {
    db,
    config,
    drop: async () => {
      await db.knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
