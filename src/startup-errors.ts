import type { Config, DbConfig } from './config';

/** Where the database is, for people: host and database for MySQL (no password), the file for SQLite. */
export function describeDatabase(db: DbConfig): string {
  if (db.client === 'sqlite') return `SQLite ${db.connection}`;
  try {
    const url = new URL(db.connection);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    const name = url.pathname.replace(/^\//, '') || '(no database in DATABASE_URL)';
    return `MySQL ${user}${url.hostname}:${url.port || '3306'}/${name}`;
  } catch {
    return 'MySQL (DATABASE_URL is not a valid URL)';
  }
}

interface SystemError {
  code?: string;
  errno?: number;
  syscall?: string;
  port?: number;
  address?: string;
}

/**
 * One line saying what went wrong at start-up and how to fix it, for the failures people meet
 * (a database that does not exist or cannot be reached, a port in use) — instead of a stack
 * trace. Undefined for anything else, which is then printed in full.
 */
export function explainStartupError(err: unknown, config: Pick<Config, 'db' | 'host' | 'port'>): string | undefined {
  const e = err as SystemError | null;
  if (!e || typeof e !== 'object') return undefined;
  const where = describeDatabase(config.db);
  switch (e.code) {
    case 'EADDRINUSE':
      return `Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT to a free port.`;
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${config.host}: no such address on this machine; set HOST (e.g. 127.0.0.1 or 0.0.0.0).`;
    case 'EACCES':
      if (e.syscall === 'listen') return `Not allowed to listen on port ${config.port}; set PORT to one above 1023.`;
      return `Permission denied opening ${where}: check the file and folder permissions (DATA_DIR, SQLITE_FILE).`;
    case 'ER_BAD_DB_ERROR': {
      const name = where.split('/').pop();
      return `The database "${name}" does not exist (${where}): create it, e.g. mariadb -e 'CREATE DATABASE \`${name}\`', or fix DATABASE_URL.`;
    }
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return `Access denied to ${where}: check the user and password in DATABASE_URL and the user's grants.`;
    case 'ECONNREFUSED':
      return `Cannot reach ${where} (connection refused): is the database server running? Check DATABASE_URL.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot resolve the database host of ${where}: check DATABASE_URL.`;
    case 'ETIMEDOUT':
      return `Timed out connecting to ${where}: check DATABASE_URL and that the server is reachable from here.`;
    case 'SQLITE_CANTOPEN':
      return `Cannot open ${where}: check that its folder exists and is writable (DATA_DIR, SQLITE_FILE).`;
  }
  return undefined;
}
