/**
 * What the access log costs: one server per log level, each in its own process with stdout
 * going to a file (real writes, as to a log collector's pipe), loaded in turn with the same
 * primary-key read. Prints, per level, the medians of interleaved runs: requests/s, and the
 * server's CPU time per request (user + system, from /proc: steadier than requests/s on a machine
 * whose cores are shared with the load generator and anything else).
 *   info    the access line of every request, JSON through the asynchronous writer
 *   warn    no access lines (the logger is there, the lines are below its level)
 *   silent  no logger at all
 *
 *   npm run build && node dist/bench/access-log.js [-- --seconds 5 --rounds 5 --connections 10 --db sqlite|mysql]
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildProcess, fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ALL_SCOPES } from '../src/auth/scopes';
import { signToken } from '../src/auth/token';
import { BENCH_SECRET, benchDatabase } from './support';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    db: { type: 'string', default: 'sqlite' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const LEVELS = ['info', 'warn', 'silent'] as const;
type Level = (typeof LEVELS)[number];

async function start(port: number, level: Level, env: Record<string, string>, logFile: string): Promise<ChildProcess> {
  const out = fs.openSync(logFile, 'w');
  const child = fork(path.join(__dirname, '..', 'src', 'server.js'), [], {
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: BENCH_SECRET,
      // The load comes from one client: its budget would end the run in 429s.
      RATE_LIMIT: 'false',
      LOG_LEVEL: level,
      PORT: String(port),
    },
    stdio: ['ignore', out, out, 'ipc'],
  });
  fs.closeSync(out);
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/health/live`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error(`the server (LOG_LEVEL=${level}) did not start`);
}

/** CPU time a process has used, in microseconds (Linux /proc counts in 1/100 s). */
function cpuMicros(pid: number): number {
  // utime and stime: fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Run {
  rps: number;
  cpu: number;
}

async function load(url: string, headers: Record<string, string>, duration: number, pid: number): Promise<Run> {
  const before = cpuMicros(pid);
  const result = await autocannon({ url, connections, duration, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpu: (cpuMicros(pid) - before) / result.requests.total };
}

async function main(): Promise<void> {
  const bench = await benchDatabase(values.db === 'mysql' ? 'mysql' : 'sqlite');
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-access-log-'));
  const children: ChildProcess[] = [];
  try {
    const now = Date.now();
    await bench.db.knex('segments').insert({
      tenant: 'bench',
      id: 'seg-1',
      name: JSON.stringify({ en: 'Segment 1' }),
      status: 'ACTIVE',
      site_code: 'main',
      version: 1,
      created_at: now,
      modified_at: now,
    });
    const servers = {} as Record<Level, { url: string; pid: number }>;
    for (const [i, level] of LEVELS.entries()) {
      const port = 4311 + i;
      const child = await start(port, level, bench.env, path.join(logDir, `${level}.log`));
      children.push(child);
      servers[level] = { url: `http://127.0.0.1:${port}/customer-segment/bench/segments/seg-1`, pid: child.pid as number };
    }
    const token = await signToken(BENCH_SECRET, { tenant: 'bench', scopes: [...ALL_SCOPES], expiresIn: '1h' });
    const headers = { authorization: `Bearer ${token}` };
    for (const level of LEVELS) await load(servers[level].url, headers, 2, servers[level].pid);
    const runs: Record<Level, Run[]> = { info: [], warn: [], silent: [] };
    for (let round = 0; round < rounds; round++) {
      for (const level of LEVELS) runs[level].push(await load(servers[level].url, headers, seconds, servers[level].pid));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rps = (level: Level) => median(runs[level].map((r) => r.rps));
    const cpu = (level: Level) => median(runs[level].map((r) => r.cpu));
    console.log(
      `REST GET /segments/{id}, ${bench.label}; ${seconds} s per run, ${rounds} interleaved rounds (medians), ${connections} connections`,
    );
    for (const level of LEVELS) {
      const lines = fs
        .readFileSync(path.join(logDir, `${level}.log`), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"request"')).length;
      console.log(
        `LOG_LEVEL=${level.padEnd(6)} ${rps(level).toFixed(0).padStart(6)} req/s (${((100 * rps(level)) / rps('warn')).toFixed(1)} % of warn)` +
          `  ${cpu(level).toFixed(0).padStart(4)} µs CPU/request (${(cpu(level) - cpu('warn')).toFixed(0)} µs vs warn)` +
          `  access lines written: ${lines}`,
      );
      console.log(`    runs: ${runs[level].map((r) => `${r.rps.toFixed(0)} req/s ${r.cpu.toFixed(0)} µs`).join(', ')}`);
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await bench.drop();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
