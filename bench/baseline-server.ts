/**
 * The baseline of bench/reads.ts: a bare Fastify + mysql2 + jose handler doing the same
 * primary-key read our GET /segments/{id} does, behind the same bearer token (HS256, verified
 * with jose on every request, as a bare handler would; 401 without a valid one). Run as its own
 * process (MYSQL_DB_URL, PORT, AUTH_JWT_SECRET from the env). BASELINE_AUTH=false drops the
 * token check, for comparison.
 */
import Fastify from 'fastify';
import { jwtVerify } from 'jose';
import mysql from 'mysql2/promise';

async function main(): Promise<void> {
  const pool = mysql.createPool({ uri: process.env.MYSQL_DB_URL, connectionLimit: 10, jsonStrings: true });
  const key = new TextEncoder().encode(process.env.AUTH_JWT_SECRET ?? '');
  const checkToken = process.env.BASELINE_AUTH !== 'false';
  const app = Fastify();
  app.get('/', async () => ({ ok: true }));
  app.get('/segments/:id', async (req, reply) => {
    let tenant = 'bench';
    if (checkToken) {
      const header = req.headers.authorization ?? '';
      try {
        const { payload } = await jwtVerify(header.slice('Bearer '.length), key, { algorithms: ['HS256'] });
        tenant = String(payload.tenant);
      } catch {
        return reply.code(401).send({ message: 'Unauthorized' });
      }
    }
    const [rows] = await pool.query('SELECT * FROM segments WHERE tenant = ? AND id = ?', [
      tenant,
      (req.params as { id: string }).id,
    ]);
    return (rows as unknown[])[0];
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.send?.('ready');
  // A clean exit on SIGTERM, so a --cpu-prof run writes its profile.
  process.once(
    'SIGTERM',
    () =>
      void app
        .close()
        .then(() => pool.end())
        .then(() => process.exit(0)),
  );
}

void main();
