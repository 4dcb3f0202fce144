/**
 * The baseline of bench/reads.ts: a bare Fastify + mysql2 handler doing the same primary-key
 * read our GET /segments/{id} does. Run as its own process (MYSQL_DB_URL, PORT from the env).
 */
import Fastify from 'fastify';
import mysql from 'mysql2/promise';

async function main(): Promise<void> {
  const pool = mysql.createPool({ uri: process.env.MYSQL_DB_URL, connectionLimit: 10, jsonStrings: true });
  const app = Fastify();
  app.get('/segments/:id', async (req) => {
    const [rows] = await pool.query('SELECT * FROM segments WHERE tenant = ? AND id = ?', [
      'bench',
      (req.params as { id: string }).id,
    ]);
    return (rows as unknown[])[0];
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.send?.('ready');
}

void main();
