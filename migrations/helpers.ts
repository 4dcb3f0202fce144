import type { Knex } from 'knex';

// The dialect, not `config.client`: that is a class (src/db/mysql-client.ts), not the string 'mysql2'.
export const isMysql = (knex: Knex): boolean => knex.client.dialect === 'mysql';

/**
 * Ids, codes and text in this service are case-sensitive (docs/behaviour.md). On MySQL every table
 * gets a binary collation so `=`, ordering and unique keys compare bytes, as SQLite does — and
 * a NO PAD one: `utf8mb4_bin` is PAD SPACE, where 'a' = 'a ' (and the two collide in a key).
 * MariaDB calls it utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin.
 */
export async function binaryCollation(knex: Knex): Promise<string | undefined> {
  if (!isMysql(knex)) return undefined;
  const [rows] = (await knex.raw('SELECT VERSION() AS v')) as [{ v: string }[]];
  return /mariadb/i.test(rows[0].v) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}

export function binaryTable(knex: Knex, t: Knex.CreateTableBuilder, collation: string | undefined): void {
  if (collation) {
    t.charset('utf8mb4');
    t.collate(collation);
    t.engine('InnoDB');
  }
}

/** JSON documents are stored as text (MariaDB's JSON is LONGTEXT anyway); parsed in db/rows.ts. */
export function jsonText(knex: Knex, t: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return isMysql(knex) ? t.text(name, 'longtext') : t.text(name);
}
