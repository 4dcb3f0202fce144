/**
 * Does a cheap request wait while over-the-limit operations arrive? Our server (own process)
 * on a database seeded with segments and members; a client measures the latency of a cheap
 * `GET /customer-segment/bench/segments/{id}`, one request at a time: alone, then while a
 * stream of distinct 30-alias operations estimated far over GRAPHQL_MAX_ROWS arrives at
 * --rate a second (each refused with COST_LIMIT_EXCEEDED before any SQL), then while
 * --flood attackers send them back to back. Prints p50/p99 of the cheap request and how
 * long the server took to refuse an attack.
 *
 *   npm run build && node dist/bench/cost-wait.js [--db mysql|sqlite] [--seconds 5] [--rate 20]
 *       [--flood 4] [--segments 50] [--members 200] [--unlimited]
 *   (mysql: a throwaway database on MYSQL_URL, default mysql://root@127.0.0.1:3306)
 *
 * --unlimited repeats the stream against a second server with the limit lifted, to show what
 * the same operations cost when they run (keep --segments × --members modest: each attack
 * reads them all 30 times over).
 */
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import type { Database } from '../src/db/knex';
import { BENCH_SECRET, benchDatabase, client, spawnServer } from './support';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'mysql' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '20' },
    flood: { type: 'string', default: '4' },
    segments: { type: 'string', default: '50' },
    members: { type: 'string', default: '200' },
    unlimited: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const FLOOD = Number(values.flood);
/** Attacks in flight at most (against an unlimited server they pile up). */
const MAX_IN_FLIGHT = 64;
const SEGMENTS = Number(values.segments);
const MEMBERS = Number(values.members);
const TENANT = 'bench';

/** The attack, made distinct per request (alias names) so no cache answers it. */
function attack(n: number): string {
  const one = `segments(pageSize: 50) { items { id
    customers(pageSize: 1000) { items { assignmentType customer { id email } legalEntity { id } } }
    items(pageSize: 1000) { items { type item { id code name } } } } }`;
  return `{ ${Array.from({ length: 30 }, (_, i) => `a${n}_${i}: ${one}`).join('\n')} }`;
}

async function seed(db: Database): Promise<void> {
  const k = db.knex;
  const now = Date.now();
  const meta = { version: 1, created_at: now, modified_at: now, mixins: null, metadata_mixins: null };
  const insert = async (table: string, rows: object[]) => {
    for (let i = 0; i < rows.length; i += 200) await k(table).insert(rows.slice(i, i + 200));
  };
  await insert(
    'customers',
    Array.from({ length: MEMBERS }, (_, i) => ({
      tenant: TENANT,
      id: `c-${i}`,
      first_name: `F${i}`,
      email: `c${i}@example.com`,
    })),
  );
  await insert(
    'products',
    Array.from({ length: MEMBERS }, (_, i) => ({
      tenant: TENANT,
      id: `p-${i}`,
      code: `P${i}`,
      name: JSON.stringify({ en: `P ${i}` }),
    })),
  );
  await insert(
    'segments',
    Array.from({ length: SEGMENTS }, (_, s) => ({
      tenant: TENANT,
      id: `seg-${s}`,
      name: JSON.stringify({ en: `Segment ${s}` }),
      description: null,
      validity_from: null,
      validity_to: null,
      status: 'ACTIVE',
      site_code: 'main',
      ...meta,
    })),
  );
  for (let s = 0; s < SEGMENTS; s++) {
    const segment_id = `seg-${s}`;
    await insert(
      'customer_assignments',
      Array.from({ length: MEMBERS }, (_, i) => ({
        tenant: TENANT,
        segment_id,
        customer_id: `c-${i}`,
        legal_entity_id: '',
        assignment_type: 'MANUAL',
        ...meta,
      })),
    );
    await insert(
      'item_assignments',
      Array.from({ length: MEMBERS }, (_, i) => ({ tenant: TENANT, segment_id, type: 'PRODUCT', item_id: `p-${i}`, ...meta })),
    );
  }
}

const percentile = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;

interface Figures {
  cheap: number[];
  /** Milliseconds from sending an attack to its answer. */
  attackMs: number[];
  answers: Map<string, number>;
}

type Attacks = { kind: 'none' } | { kind: 'stream'; rate: number } | { kind: 'flood'; attackers: number };

/** Cheap requests one at a time for SECONDS while the attacks run. */
async function measure(port: number, auth: Record<string, string>, attacks: Attacks): Promise<Figures> {
  const origin = `http://127.0.0.1:${port}`;
  const cheapClient = client(origin, 1);
  const attackClient = client(origin, MAX_IN_FLIGHT);
  const answers = new Map<string, number>();
  const attackMs: number[] = [];
  const tally = (what: string) => answers.set(what, (answers.get(what) ?? 0) + 1);
  let stop = false;
  let n = 0;
  let inFlight = 0;
  const one = async () => {
    inFlight++;
    const t0 = process.hrtime.bigint();
    const res = await attackClient.graphql(attack(n++), auth).catch(() => undefined);
    inFlight--;
    if (!res) return tally('unanswered');
    attackMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    tally(String(res.status));
  };
  const running: Promise<unknown>[] = [];
  if (attacks.kind === 'flood') {
    for (let a = 0; a < attacks.attackers; a++) {
      running.push(
        (async () => {
          while (!stop) await one();
        })(),
      );
    }
  } else if (attacks.kind === 'stream') {
    // Open loop: attacks leave on schedule whether or not earlier ones were answered.
    running.push(
      (async () => {
        const started = Date.now();
        for (let i = 0; !stop; i++) {
          const due = started + (i * 1000) / attacks.rate;
          await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
          if (stop) break;
          if (inFlight >= MAX_IN_FLIGHT) tally(`not sent (${MAX_IN_FLIGHT} in flight)`);
          else running.push(one());
        }
      })(),
    );
  }
  const cheap: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    const res = await cheapClient.get(`/customer-segment/${TENANT}/segments/seg-1`, auth);
    cheap.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 200) throw new Error(`cheap request: ${res.status} ${res.text.slice(0, 200)}`);
  }
  stop = true;
  // Attacks still running against an unlimited server may take long: drop their sockets.
  attackClient.close();
  await Promise.all(running);
  cheapClient.close();
  return { cheap: cheap.sort((a, b) => a - b), attackMs: attackMs.sort((a, b) => a - b), answers };
}

function report(label: string, f: Figures): void {
  const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '—').padStart(10);
  const answers = [...f.answers].map(([what, count]) => `${count}×${what}`).join(' ') || '—';
  console.log(
    `${label.padEnd(30)} ${String(f.cheap.length).padStart(6)} ${ms(percentile(f.cheap, 0.5))} ${ms(percentile(f.cheap, 0.99))}` +
      ` ${ms(percentile(f.attackMs, 0.5))}   ${answers}`,
  );
}

async function main(): Promise<void> {
  const database = await benchDatabase(values.db === 'sqlite' ? 'sqlite' : 'mysql');
  const servers: ChildProcess[] = [];
  try {
    await seed(database.db);
    const token = await signToken(BENCH_SECRET, { tenant: TENANT, scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const auth = { authorization: `Bearer ${token}` };
    const limited = 4305;
    servers.push(await spawnServer(limited, database.env));

    // The attack is refused, and cheaply: check once before measuring.
    const probe = client(`http://127.0.0.1:${limited}`, 1);
    const first = await probe.graphql(attack(1_000_000), auth);
    probe.close();
    if (first.status !== 400 || !first.text.includes('COST_LIMIT_EXCEEDED'))
      throw new Error(`attack not refused: ${first.text.slice(0, 300)}`);
    console.log(`${database.label}: ${SEGMENTS} segments × ${MEMBERS} members and ${MEMBERS} items; ${SECONDS} s per phase`);
    console.log(`attack: ${JSON.parse(first.text).errors[0].message}`);
    const header = ['phase'.padEnd(30), 'cheap'.padStart(6), 'p50'.padStart(10), 'p99'.padStart(10), 'attack p50'.padStart(10)];
    console.log(`\n${header.join(' ')}   attack answers`);

    await measure(limited, auth, { kind: 'none' }); // warm-up
    report('alone', await measure(limited, auth, { kind: 'none' }));
    report(`stream of ${RATE}/s, limit in force`, await measure(limited, auth, { kind: 'stream', rate: RATE }));
    report(`flood of ${FLOOD}, limit in force`, await measure(limited, auth, { kind: 'flood', attackers: FLOOD }));

    if (values.unlimited) {
      const lifted = 4306;
      servers.push(await spawnServer(lifted, { ...database.env, GRAPHQL_MAX_ROWS: '1000000000' }));
      await measure(lifted, auth, { kind: 'none' });
      report(`stream of ${RATE}/s, limit lifted`, await measure(lifted, auth, { kind: 'stream', rate: RATE }));
    }
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    await database.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
