/**
 * Memory under distinct operations: our server in a process of its own receives N distinct
 * introspection queries without a token, then N distinct segment queries with one, and the
 * server's RSS is printed every 1,000 requests. With every client-keyed cache bounded the curve
 * flattens; before the bounds it climbed for as long as the requests kept coming.
 *
 *   npm run build && node dist/bench/memory.js [--requests 20000] [--connections 8] [--db sqlite|mysql]
 *   (mysql: a throwaway database on MYSQL_URL, default mysql://root@127.0.0.1:3306)
 */
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { BENCH_SECRET, benchDatabase, client, rssMb, spawnServer } from './support';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '8' },
    db: { type: 'string', default: 'sqlite' },
  },
});
const REQUESTS = Number(values.requests);
const CONNECTIONS = Number(values.connections);
const PORT = 4304;

type Http = ReturnType<typeof client>;

/** Sends `count` distinct operations, CONNECTIONS at a time; prints RSS every 1,000. */
async function phase(
  http: Http,
  server: ChildProcess,
  label: string,
  make: (i: number) => string,
  headers: Record<string, string>,
) {
  console.log(`\n${label}`);
  console.log('requests   RSS MB   seconds');
  const started = Date.now();
  console.log(
    `${'0'.padStart(8)} ${rssMb(server.pid as number)
      .toFixed(0)
      .padStart(8)} ${'0.0'.padStart(9)}`,
  );
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      const i = next++;
      const res = await http.graphql(make(i), headers);
      if (res.status !== 200 || !res.text.startsWith('{"data"')) throw new Error(`${res.status} ${res.text.slice(0, 300)}`);
      if (++done % 1000 === 0) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        console.log(
          `${String(done).padStart(8)} ${rssMb(server.pid as number)
            .toFixed(0)
            .padStart(8)} ${seconds.padStart(9)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
}

async function main(): Promise<void> {
  const database = await benchDatabase(values.db === 'mysql' ? 'mysql' : 'sqlite');
  let server: ChildProcess | undefined;
  const http = client(`http://127.0.0.1:${PORT}`, CONNECTIONS);
  try {
    server = await spawnServer(PORT, database.env);
    const token = await signToken(BENCH_SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const auth = { authorization: `Bearer ${token}` };
    for (const id of ['s1', 's2', 's3']) {
      const res = await http.graphql('mutation($i: SegmentInput!) { createSegment(input: $i) { id } }', auth, {
        i: { id, name: { en: id }, siteCode: 'main' },
      });
      if (res.status !== 200) throw new Error(res.text);
    }
    console.log(`${database.label}, ${REQUESTS} distinct operations per phase, ${CONNECTIONS} keep-alive connections`);
    await phase(
      http,
      server,
      'introspection without a token: query Q<i> { __schema { types { name fields { name } } } }',
      (i) => `query Q${i} { __schema { types { name fields { name } } } }`,
      {},
    );
    await phase(
      http,
      server,
      'segments with a token: { s<i>: segments(pageSize: <1..1000>) { items { id name } } }',
      (i) => `{ s${i}: segments(pageSize: ${1 + (i % 1000)}) { items { id name } } }`,
      auth,
    );
  } finally {
    http.close();
    server?.kill('SIGTERM');
    await database.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
