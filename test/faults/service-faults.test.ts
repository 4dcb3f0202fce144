import type { LightMyRequestResponse } from 'fastify';
import { startTestApp, type TestApp } from '../helpers/app';
import { DB_CLIENT, MYSQL_URL } from '../helpers/db';
import { type FaultMode, type FaultProxy, mysqlTarget, startFaultProxy, throughProxy } from '../helpers/fault-proxy';

/**
 * What clients see when the database stalls, refuses connections or loses them, and that the
 * service comes back by itself: MariaDB behind a fault-injecting proxy, short time limits.
 * Statuses and bounds are asserted; the measured figures are printed (README "Faults").
 */
const onMysql = DB_CLIENT === 'mysql' ? describe : describe.skip;
if (DB_CLIENT !== 'mysql') test.skip('database faults need MySQL/MariaDB (DB_CLIENT=mysql)', () => undefined);

const LIMITS = {
  DB_STATEMENT_TIMEOUT_MS: '1000',
  DB_ACQUIRE_TIMEOUT_MS: '1000',
  DB_CONNECT_TIMEOUT_MS: '1000',
  HEALTH_TIMEOUT_MS: '1000',
};
const FAULT_MS = 5000;
/** Generous: the service needs about one statement limit; a loaded CI machine more. */
const RECOVERY_BOUND_MS = 10_000;
const SEGMENT = { id: 'seg-faults', name: { en: 'Faults' }, status: 'ACTIVE', siteCode: 'main' };
const GQL = '{ segment(id: "seg-faults") { id name } }';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  face: 'rest' | 'graphql' | 'health' | 'write';
  ms: number;
  res: LightMyRequestResponse;
}

/** 200 for a success (a GraphQL answer without errors), else the status — GraphQL errors other than SERVICE_UNAVAILABLE count as 500. */
function outcome({ face, res }: Answer): number {
  if (res.statusCode < 300 && face !== 'graphql') return 200;
  if (face !== 'graphql') return res.statusCode;
  const codes = ((res.json().errors ?? []) as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code);
  if (!codes.length) return res.statusCode;
  return codes.every((c) => c === 'SERVICE_UNAVAILABLE') ? res.statusCode : 500;
}

onMysql('the service while the database fails', () => {
  let t: TestApp;
  let proxy: FaultProxy;
  let adminToken = '';

  beforeAll(async () => {
    proxy = await startFaultProxy(mysqlTarget(MYSQL_URL));
    t = await startTestApp(LIMITS, {
      dbVia: (config) => ({ ...config, connection: throughProxy(config.connection, proxy.port) }),
    });
    adminToken = await t.token();
    expect((await t.rest('POST', '/segments', { body: SEGMENT })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await proxy.setMode('pass');
    await t.close();
    await proxy.close();
    // mysql2 keeps the timer of a statement whose connection died until it fires (its second
    // callback is a no-op); let it, so the worker ends clean.
    await sleep(Number(LIMITS.DB_STATEMENT_TIMEOUT_MS));
  });

  const timed = async (face: Answer['face'], run: () => Promise<LightMyRequestResponse>): Promise<Answer> => {
    const t0 = performance.now();
    const res = await run();
    return { face, ms: performance.now() - t0, res };
  };
  const restRead = () => timed('rest', () => t.rest('GET', `/segments/${SEGMENT.id}`));
  const gqlRead = () =>
    timed('graphql', () =>
      t.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        payload: JSON.stringify({ query: GQL }),
      }),
    );
  const health = () => timed('health', () => t.app.inject({ method: 'GET', url: '/health' }));
  const write = () =>
    timed('write', () =>
      t.rest('PATCH', `/segments/${SEGMENT.id}`, { body: [{ op: 'replace', path: '/siteCode', value: 'main' }] }),
    );

  /** Requests of every kind, a few at a time, for as long as the fault lasts. */
  async function duringFault(mode: FaultMode): Promise<Answer[]> {
    // Warm pool: the fault must meet pooled connections, not only new ones.
    await Promise.all([restRead(), gqlRead(), restRead(), gqlRead()]);
    await proxy.setMode(mode);
    const until = performance.now() + FAULT_MS;
    const answers: Answer[] = [];
    const loop = async (next: () => Promise<Answer>) => {
      while (performance.now() < until - 1500) answers.push(await next());
    };
    await Promise.all([loop(restRead), loop(gqlRead), loop(health), loop(write), loop(restRead)]);
    await sleep(Math.max(0, until - performance.now()));
    return answers;
  }

  /** Time from the database answering again until REST, GraphQL and /health all answer 200. */
  async function recovery(): Promise<number> {
    await proxy.setMode('pass');
    const t0 = performance.now();
    while (performance.now() - t0 < RECOVERY_BOUND_MS) {
      const [r, g, h] = await Promise.all([restRead(), gqlRead(), health()]);
      if (outcome(r) === 200 && outcome(g) === 200 && outcome(h) === 200) {
        return performance.now() - t0;
      }
      await sleep(50);
    }
    throw new Error(`not recovered within ${RECOVERY_BOUND_MS} ms`);
  }

  function checkUnavailableAnswers(answers: Answer[]): void {
    for (const answer of answers) {
      const { face, ms, res } = answer;
      // Within the time limits (acquire + statement, or the health limit) plus slack for a busy machine.
      expect(ms).toBeLessThan(face === 'health' ? 2000 : 4000);
      if (outcome(answer) === 200) continue;
      expect(outcome(answer)).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      const body = res.json();
      if (face === 'health') expect(body).toEqual({ status: 'database unreachable' });
      else if (face === 'graphql')
        expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
      else expect(body).toEqual({ code: 503, status: 'Service Unavailable', message: expect.any(String) });
      // Never the driver's words.
      expect(res.body).not.toMatch(/select|PROTOCOL|ECONN|ETIMEDOUT|timeout|Knex/i);
    }
    for (const face of ['rest', 'graphql', 'health', 'write'] as const) {
      expect(answers.filter((a) => a.face === face && outcome(a) === 503).length).toBeGreaterThan(0);
    }
  }

  function report(name: string, answers: Answer[], recoveredMs: number): void {
    const failed = answers.filter((a) => outcome(a) !== 200);
    const slowest = Math.max(...answers.map((a) => a.ms));
    console.log(
      `${name}: ${answers.length} requests during the fault, ${Math.round((100 * failed.length) / answers.length)} % answered 503 ` +
        `(none 500), slowest ${Math.round(slowest)} ms; recovered ${Math.round(recoveredMs)} ms after the database came back`,
    );
  }

  test('stall: 503s within the time limits, /health 503 within a second, then recovery without a restart', async () => {
    const answers = await duringFault('stall');
    checkUnavailableAnswers(answers);
    const recovered = await recovery();
    report('stall 5 s', answers, recovered);
  });

  test('refused connections: 503s, then recovery', async () => {
    const answers = await duringFault('refuse');
    checkUnavailableAnswers(answers);
    const recovered = await recovery();
    report('refuse 5 s', answers, recovered);
  });

  test('connections cut four times a second under read load: no 500s, reads retried', async () => {
    await Promise.all([restRead(), gqlRead()]);
    const until = performance.now() + 3000;
    const cutter = setInterval(() => proxy.cut(), 250);
    const answers: Answer[] = [];
    const loop = async (next: () => Promise<Answer>) => {
      while (performance.now() < until) answers.push(await next());
    };
    try {
      await Promise.all([0, 1, 2, 3].map((i) => loop(i % 2 ? restRead : gqlRead)));
    } finally {
      clearInterval(cutter);
    }
    const statuses = answers.map(outcome);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    const unavailable = statuses.filter((s) => s === 503).length;
    console.log(
      `cut every 250 ms for 3 s: ${answers.length} reads, ${unavailable} answered 503 (${((100 * unavailable) / answers.length).toFixed(1)} %), none 500`,
    );
    // Most reads meet a dead connection at most once, and run again on a fresh one.
    expect(unavailable / answers.length).toBeLessThan(0.2);
    const recovered = await recovery();
    expect(recovered).toBeLessThan(RECOVERY_BOUND_MS);
  });
});
