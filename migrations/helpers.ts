import type { Knex } from 'knex';

export const isMysql = (knex: Knex): boolean => knex.client.config.client === 'mysql2';

/**
 * Ids, codes and text in this service are case-sensitive (DECISIONS.md). On MySQL every table is
 * utf8mb4_bin so `=`, ordering and unique keys compare bytes, as SQLite does.
 */
export function binaryTable(knex: Knex, t: Knex.CreateTableBuilder): void {
  if (isMysql(knex)) {
    t.charset('utf8mb4');
    t.collate('utf8mb4_bin');
    t.engine('InnoDB');
  }
}

/** JSON documents are stored as text (MariaDB's JSON is LONGTEXT anyway); parsed in db/rows.ts. */
export function jsonText(knex: Knex, t: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return isMysql(knex) ? t.text(name, 'longtext') : t.text(name);
}
