/**
 * Read throughput against a baseline: a bare Fastify + mysql2 + jose handler doing the same
 * primary-key read behind the same bearer token, verified per request (bench/baseline-server.ts). Targets (access log
 * on): REST `GET /segments/{id}` ≥ 0.75 of the baseline, GraphQL `segment(id)` ≥ 0.60.
 *
 * Method (--mode shared, the default: issue 10's "both servers pinned to one core and driven at
 * the same time so they share the same noise"): both servers are processes pinned to the same
 * core (--ours-cpu), and the load generator (autocannon, in this process) runs pinned to the
 * other (--load-cpu) and drives both AT THE SAME TIME, so whatever else the machine is doing
 * falls on both alike, and the core they share goes to whichever needs it. A round is
 * `seconds` of baseline + REST together, then `seconds` of baseline + GraphQL together; each
 * ratio is ours / the baseline running beside it, and the figures are the medians over rounds.
 * The pass is made with the access log on (LOG_LEVEL=info, as shipped; stdout to /dev/null)
 * and again with it off (LOG_LEVEL=silent), so the log's cost is visible. Also printed: each
 * server's CPU time per request (from /proc), steadier than requests/s on shared cores.
 * Results go to bench/RESULTS.md (with date, machine and method) unless --no-write.
 *
 * --mode alternate drives each server alone instead (both on --ours-cpu, baseline then ours each
 * round): sharing a core also measures how each server suffers from the other beside it (caches,
 * switches), which weighs on the one with more code; alternate shows that part.
 * --calibrate (shared mode) also runs each server beside a second copy of itself, on the same
 * core and in the same way, after the access-log-on pass: the baseline beside a baseline, ours
 * beside ours (REST, then GraphQL). Each side should get half the core (a ratio near 1.00, which
 * checks the method), and each server's CPU per request there, against its figure in alternate
 * mode, shows what sharing a core costs it whatever runs beside it.
 * --mode concurrent (this bench's method before 2026-12-02) pins each server to a core of its own
 * (the baseline on --baseline-cpu, ours on --ours-cpu, exchanged every other round unless
 * --no-swap) with the load generator and MariaDB free on both: whichever shares its core with
 * them loses, so its rounds swing by 3x.
 *
 *   npm run bench [-- --seconds 8 --rounds 5 --connections 32 --log both|on|off --mode shared|alternate|concurrent]
 *     [--calibrate] [--baseline-cpu 0 --ours-cpu 1 --load-cpu 0] [--server path/to/another/build/src/server.js] [--no-write]
 *   (BENCH_NODE_ARGS: extra node flags for our server, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof')
 *   (MYSQL_URL, default mysql://root@127.0.0.1:3306; a throwaway database is created and dropped)
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import knexFactory from 'knex';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { migrateLatest, openDatabase } from '../src/db/knex';
import { SERVER_NODE_ARGS } from './support';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    log: { type: 'string', default: process.env.BENCH_LOG_LEVEL === 'silent' ? 'off' : 'both' },
    'baseline-cpu': { type: 'string', default: '0' },
    'ours-cpu': { type: 'string', default: String(Math.min(1, os.cpus().length - 1)) },
    // shared: where this process (the load generator) runs, away from the servers' core.
    'load-cpu': { type: 'string', default: '0' },
    server: { type: 'string', default: path.join(__dirname, '..', 'src', 'server.js') },
    'no-write': { type: 'boolean', default: false },
    // shared: also each server beside a copy of itself (see the header).
    calibrate: { type: 'boolean', default: false },
    // Exchange the two servers' cores every round (taskset -p): other load on the machine
    // rarely falls on both cores alike, and a fixed assignment turns that into a bias.
    'no-swap': { type: 'boolean', default: false },
    // shared (both servers on --ours-cpu, driven at once) | alternate: each server driven alone
    // on --ours-cpu, baseline then ours, every round | concurrent: each on a core of its own.
    mode: { type: 'string', default: 'shared' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const passes = values.log === 'both' ? (['on', 'off'] as const) : values.log === 'off' ? (['off'] as const) : (['on'] as const);
const alternate = values.mode === 'alternate';
const shared = values.mode === 'shared';
if (!alternate && !shared && values.mode !== 'concurrent') throw new Error('--mode is shared, alternate or concurrent');
if (values.calibrate && !shared) throw new Error('--calibrate goes with --mode shared');
const baselineCpu = values['baseline-cpu'];
const oursCpu = values['ours-cpu'];
const base = (process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const dbName = `csg_bench_${process.pid}`;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const TARGET = { rest: 0.75, graphql: 0.6 };

interface Load {
  url: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  body?: string;
}

async function load(target: Load, duration: number): Promise<number> {
  const result = await autocannon({ ...target, connections, duration });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return result.requests.total / duration;
}

/** User + system CPU time of a process so far, in µs (Linux /proc; 0 elsewhere). */
function cpuMicros(pid: number | undefined): number {
  if (pid === undefined || process.platform !== 'linux') return 0;
  // Fields 14 and 15 (utime, stime) after the parenthesised command name, in clock ticks.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

/** Pins a running process, all its threads, to `cpu`. */
function pin(child: ChildProcess, cpu: string): void {
  if (child.pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpu, String(child.pid)], { stdio: 'ignore' });
}

/** Starts a server script pinned to one core, stdout/stderr to /dev/null, and waits until it answers HTTP. */
async function startServer(
  script: string,
  cpu: string,
  env: Record<string, string>,
  port: number,
  nodeArgs: string[] = [],
): Promise<ChildProcess> {
  const child = spawn('taskset', ['-c', cpu, process.execPath, ...nodeArgs, script], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error(`${script} did not start on core ${cpu}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface PairFigures {
  baseline: number[];
  ours: number[];
  ratio: number[];
  /** CPU µs per request, per round. */
  baselineCpu: number[];
  oursCpu: number[];
}

/** Baseline and ours driven at the same time (or one after the other, --mode alternate); ratio of the same round. */
async function pair(bare: ChildProcess, bareLoad: Load, ours: ChildProcess, ourLoad: Load, into: PairFigures): Promise<void> {
  const c0 = [cpuMicros(bare.pid), cpuMicros(ours.pid)];
  const [b, o] = alternate
    ? [await load(bareLoad, seconds), await load(ourLoad, seconds)]
    : await Promise.all([load(bareLoad, seconds), load(ourLoad, seconds)]);
  const c1 = [cpuMicros(bare.pid), cpuMicros(ours.pid)];
  into.baseline.push(b);
  into.ours.push(o);
  into.ratio.push(o / b);
  into.baselineCpu.push((c1[0] - c0[0]) / (b * seconds));
  into.oursCpu.push((c1[1] - c0[1]) / (o * seconds));
}

const emptyPair = (): PairFigures => ({ baseline: [], ours: [], ratio: [], baselineCpu: [], oursCpu: [] });

interface PassFigures {
  log: 'on' | 'off';
  rest: PairFigures;
  graphql: PairFigures;
}

function machine(mariadb: string): string[] {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let nproc = String(os.availableParallelism());
  try {
    // --all: the shared mode pins this process to one core, and plain nproc counts only those.
    nproc = execFileSync('nproc', ['--all']).toString().trim();
  } catch {
    // nproc missing: Node's count.
  }
  return [`nproc ${nproc}`, `CPU ${model}`, `Node ${process.version}`, `MariaDB ${mariadb}`, `${os.type()} ${os.release()}`];
}

function fmt(xs: number[], digits = 0): string {
  return xs.map((x) => x.toFixed(digits)).join(' ');
}

function report(pass: PassFigures): string[] {
  const lines: string[] = [];
  const row = (name: string, p: PairFigures, target: number) => {
    const ratio = median(p.ratio);
    lines.push(
      `| ${name} | ${pass.log} | **${ratio.toFixed(2)}** (rounds ${fmt(p.ratio, 2)}) | ${pass.log === 'on' ? `≥ ${target.toFixed(2)}` : '—'} | ` +
        `${median(p.ours).toFixed(0)} / ${median(p.baseline).toFixed(0)} | ${median(p.oursCpu).toFixed(0)} / ${median(p.baselineCpu).toFixed(0)} |`,
    );
  };
  row('REST `GET /segments/{id}`', pass.rest, TARGET.rest);
  row('GraphQL `segment(id)`', pass.graphql, TARGET.graphql);
  return lines;
}

interface Calibration {
  baseline: PairFigures;
  rest: PairFigures;
  graphql: PairFigures;
}

/** Each server beside a copy of itself: the ratio second / first, and the CPU per request of each. */
function calibrationReport(c: Calibration): string[] {
  const row = (name: string, p: PairFigures) =>
    `| ${name} | **${median(p.ratio).toFixed(2)}** (rounds ${fmt(p.ratio, 2)}) | ${median(p.baseline).toFixed(0)} / ${median(p.ours).toFixed(0)} | ` +
    `${median(p.baselineCpu).toFixed(0)} / ${median(p.oursCpu).toFixed(0)} |`;
  return [
    '| beside a copy of itself (access log on) | second / first (median) | req/s first / second | CPU µs/req first / second |',
    '| --- | --- | --- | --- |',
    row('baseline `GET /segments/{id}`', c.baseline),
    row('ours REST `GET /segments/{id}`', c.rest),
    row('ours GraphQL `segment(id)`', c.graphql),
  ];
}

async function main(): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
  await admin.raw(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const [versionRows] = (await admin.raw('SELECT VERSION() AS v')) as [{ v: string }[]];
  const mariadb = versionRows[0]?.v ?? 'unknown';
  await admin.destroy();
  const url = `${base}/${dbName}`;
  const db = openDatabase({ client: 'mysql', connection: url });
  const running: ChildProcess[] = [];
  // Shared: the load generator keeps off the core the two servers share.
  if (shared && process.platform === 'linux') {
    execFileSync('taskset', ['-a', '-p', '-c', values['load-cpu'], String(process.pid)], { stdio: 'ignore' });
  }
  try {
    const defaultServer = path.join(__dirname, '..', 'src', 'server.js');
    const ourEnv = (log: 'on' | 'off'): Record<string, string> => ({
      DATABASE_URL: url,
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: SECRET,
      // As shipped: the access log at info, written (asynchronously) to stdout, which is /dev/null here.
      LOG_LEVEL: log === 'on' ? 'info' : 'silent',
      // One client's token: production's rate limit would answer most of the run with 429s.
      RATE_LIMIT: 'false',
    });
    if (values.server === defaultServer) {
      await migrateLatest(db);
    } else {
      // Another build (--server) migrates the database to its own schema when it starts.
      await stop(await startServer(values.server, oursCpu, ourEnv('off'), 4302, SERVER_NODE_ARGS));
    }
    const now = Date.now();
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      tenant: 'bench',
      id: `seg-${i}`,
      name: JSON.stringify({ en: `Segment ${i}`, de: `Segment ${i}` }),
      description: JSON.stringify({ en: 'A benchmark segment' }),
      validity_from: null,
      validity_to: null,
      status: i % 2 ? 'ACTIVE' : 'INACTIVE',
      site_code: 'main',
      mixins: JSON.stringify({ a: { b: i } }),
      metadata_mixins: null,
      version: 1,
      created_at: now + i,
      modified_at: now + i,
    }));
    await db.knex('segments').insert(rows);

    const baselinePort = 4301;
    const ourPort = 4302;
    const token = await signToken(SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const auth = { authorization: `Bearer ${token}` };
    const bareLoad: Load = { url: `http://127.0.0.1:${baselinePort}/segments/seg-500`, headers: auth };
    const restLoad: Load = { url: `http://127.0.0.1:${ourPort}/customer-segment/bench/segments/seg-500`, headers: auth };
    const gqlLoad: Load = {
      url: `http://127.0.0.1:${ourPort}/graphql`,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'query($id: ID!) { segment(id: $id) { id name description status siteCode mixins metadata { version createdAt modifiedAt } } }',
        variables: { id: 'seg-500' },
      }),
    };

    const withPort = (l: Load, from: number, to: number): Load => ({ ...l, url: l.url.replace(`:${from}/`, `:${to}/`) });
    /** --calibrate: the baseline beside a second baseline, ours beside a second of ours, on the same core. */
    const calibrate = async (ours: ChildProcess): Promise<Calibration> => {
      const bare2 = await startServer(
        path.join(__dirname, 'baseline-server.js'),
        oursCpu,
        { MYSQL_DB_URL: url, AUTH_JWT_SECRET: SECRET },
        baselinePort + 2,
      );
      running.push(bare2);
      const ours2 = await startServer(values.server, oursCpu, ourEnv('on'), ourPort + 2, SERVER_NODE_ARGS);
      running.push(ours2);
      const bareLoad2 = withPort(bareLoad, baselinePort, baselinePort + 2);
      const restLoad2 = withPort(restLoad, ourPort, ourPort + 2);
      const gqlLoad2 = withPort(gqlLoad, ourPort, ourPort + 2);
      for (const l of [bareLoad2, restLoad2, gqlLoad2]) await load(l, 2);
      const c: Calibration = { baseline: emptyPair(), rest: emptyPair(), graphql: emptyPair() };
      for (let round = 0; round < rounds; round++) {
        await pair(bare, bareLoad, bare2, bareLoad2, c.baseline);
        await pair(ours, restLoad, ours2, restLoad2, c.rest);
        await pair(ours, gqlLoad, ours2, gqlLoad2, c.graphql);
        console.error(
          `calibration round ${round + 1}/${rounds}: baseline ${c.baseline.ratio[round].toFixed(2)}, ` +
            `REST ${c.rest.ratio[round].toFixed(2)}, GraphQL ${c.graphql.ratio[round].toFixed(2)}`,
        );
      }
      await stop(ours2);
      await stop(bare2);
      running.splice(running.indexOf(bare2), 2);
      return c;
    };

    const bare = await startServer(
      path.join(__dirname, 'baseline-server.js'),
      baselineCpu,
      { MYSQL_DB_URL: url, AUTH_JWT_SECRET: SECRET },
      baselinePort,
    );
    running.push(bare);
    const results: PassFigures[] = [];
    let calibration: Calibration | undefined;
    for (const log of passes) {
      const ours = await startServer(
        values.server,
        oursCpu,
        ourEnv(log),
        ourPort,
        // e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles our server.
        [...SERVER_NODE_ARGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      );
      running.push(ours);
      // Warm-up: JIT, pools, caches, for both servers on both reads.
      for (const l of [bareLoad, restLoad, gqlLoad]) await load(l, 2);
      const pass: PassFigures = { log, rest: emptyPair(), graphql: emptyPair() };
      for (let round = 0; round < rounds; round++) {
        // Shared and alternate: both on the same core (alternate: never running at once).
        const swapped = !alternate && !shared && !values['no-swap'] && round % 2 === 1;
        pin(bare, swapped || alternate || shared ? oursCpu : baselineCpu);
        pin(ours, swapped ? baselineCpu : oursCpu);
        await pair(bare, bareLoad, ours, restLoad, pass.rest);
        await pair(bare, bareLoad, ours, gqlLoad, pass.graphql);
        console.error(
          `log ${log} round ${round + 1}/${rounds}: REST ${pass.rest.ratio[round].toFixed(2)}, GraphQL ${pass.graphql.ratio[round].toFixed(2)}`,
        );
      }
      results.push(pass);
      if (values.calibrate && log === 'on') calibration = await calibrate(ours);
      await stop(ours);
      running.pop();
    }

    const how = shared
      ? `Shared mode: both servers pinned to core ${oursCpu} (\`taskset\`), driven concurrently by autocannon from the bench process, pinned to core ${values['load-cpu']}; `
      : alternate
        ? `Alternate mode: each server driven alone, both pinned to core ${oursCpu} (\`taskset\`), baseline then ours in every round, by autocannon from the bench process; `
        : `Both servers each pinned to one core (baseline \`taskset -c ${baselineCpu}\`, ours \`taskset -c ${oursCpu}\`` +
          `${values['no-swap'] ? '' : ', the two exchanged every other round'}), ` +
          `driven concurrently by autocannon from the bench process; `;
    const method =
      how +
      `${rounds} rounds × ${seconds} s per read, ` +
      `${connections} connections each; ratio = ours / baseline in the same round; medians of rounds. ` +
      `Access log on = LOG_LEVEL=info (as shipped), stdout to /dev/null; off = LOG_LEVEL=silent. ` +
      `Load generator, MariaDB and anything else on the machine share the cores with the servers.`;
    const table = [
      '| read | access log | ours / baseline (median) | target | req/s ours / baseline | CPU µs/req ours / baseline |',
      '| --- | --- | --- | --- | --- | --- |',
      ...results.flatMap(report),
    ];
    const build = values.server === defaultServer ? '' : ` — ours = ${values.server}`;
    const calibrationLines = calibration
      ? [
          '',
          `Calibration (--calibrate): after the access-log-on pass, each server beside a second copy of itself on core ${oursCpu}, driven the same way; ` +
            'the ratio is second / first in the same round.',
          '',
          ...calibrationReport(calibration),
        ]
      : [];
    const out = [
      `${new Date().toISOString()} — ${machine(mariadb).join(', ')}${build}`,
      '',
      method,
      '',
      ...table,
      ...calibrationLines,
    ];
    console.log(out.join('\n'));
    if (!values['no-write']) {
      const file = path.join(__dirname, '..', '..', 'bench', 'RESULTS.md');
      const header =
        '# Read throughput (`npm run bench`)\n\nbench/reads.ts writes this file; the newest run is on top. Since 2026-12-02 the baseline verifies\n' +
        "the bearer token with jose on every request (issue 10's definition); the entry before that did not.\n\n";
      const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(header, '') : '';
      fs.writeFileSync(file, `${header}## ${out[0]}\n\n${out.slice(2).join('\n')}\n\n${old}`);
      console.error(`written to ${path.relative(process.cwd(), file)}`);
    }
  } finally {
    for (const child of running) await stop(child);
    await db.knex.destroy().catch(() => undefined);
    const again = knexFactory({ client: 'mysql2', connection: { uri: base } as never });
    await again.raw(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await again.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
