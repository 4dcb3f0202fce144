/**
 * What Apollo Server's request pipeline costs a GraphQL read, apart from everything else: the
 * same `segment(id)` operation as bench/reads.ts, in one process, on the same context and the
 * same database row, run
 *
 * - through `apollo.executeHTTPGraphQLRequest` (the service's Apollo, as /graphql runs it: its
 *   document store, plugins, compiled-operation gateway and error formatting), and
 * - as the compiled operation alone (graphql-jit, the same resolvers and loaders), serialized.
 *
 * No HTTP, no access log: the difference is Apollo's own work per request (HTTP-level checks,
 * query hashing, its hooks and promises, content negotiation, response building). Printed as CPU
 * µs per request (process.cpuUsage), medians of rounds; the two ways alternate within each round
 * and the pipeline's cost is the median of the rounds' differences, so that whatever else the
 * machine does falls on both.
 *
 *   npm run build && node dist/bench/apollo-pipeline.js [--rounds 10 --requests 3000 --db mysql|sqlite]
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { HeaderMap } from '@apollo/server';
import { parse } from 'graphql';
import { verifierFor } from '../src/app';
import { ALL_SCOPES } from '../src/auth/scopes';
import type { Viewer } from '../src/auth/viewer';
import { loadConfig } from '../src/config';
import { createApollo, operationChecks } from '../src/graphql/apollo';
import { createContext, createServices, languageOf } from '../src/graphql/context';
import { CompiledOperations, compileOperation } from '../src/graphql/jit';
import { getSchema } from '../src/graphql/schema';
import { BENCH_SECRET, benchDatabase } from './support';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    requests: { type: 'string', default: '3000' },
    db: { type: 'string', default: 'mysql' },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);

const QUERY =
  'query($id: ID!) { segment(id: $id) { id name description status siteCode mixins metadata { version createdAt modifiedAt } } }';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function cpuPerCall(fn: () => Promise<unknown>, n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function main(): Promise<void> {
  const bench = await benchDatabase(values.db === 'sqlite' ? 'sqlite' : 'mysql');
  const app = Fastify();
  try {
    const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: BENCH_SECRET, LOG_LEVEL: 'silent', ...bench.env });
    const now = Date.now();
    await bench.db.knex('segments').insert({
      tenant: 'bench',
      id: 'seg-1',
      name: JSON.stringify({ en: 'Segment 1', de: 'Segment 1' }),
      description: JSON.stringify({ en: 'A benchmark segment' }),
      status: 'ACTIVE',
      site_code: 'main',
      mixins: JSON.stringify({ a: { b: 1 } }),
      version: 1,
      created_at: now,
      modified_at: now,
    });
    const services = createServices(config, bench.db, verifierFor(config));
    const operations = new CompiledOperations(getSchema(), { max: 100, maxBytes: 16 * 1024 * 1024 });
    const apollo = createApollo(app, config, operations, operationChecks(config));
    await apollo.start();
    const viewer: Viewer = { tenant: 'bench', scopes: new Set<string>(ALL_SCOPES), subject: 'bench' };
    const raw = { host: 'localhost', 'content-type': 'application/json', authorization: 'Bearer x', connection: 'keep-alive' };
    const body = { query: QUERY, variables: { id: 'seg-1' } };
    const context = () => createContext(services, viewer, languageOf(raw, config.defaultLanguage));

    const viaApollo = async (): Promise<string> => {
      // As graphql/fastify-handler.ts hands a request to Apollo.
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(raw)) headers.set(k, v);
      const res = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { body, method: 'POST', headers, search: '' },
        context: async () => context(),
      });
      if (res.body.kind !== 'complete') throw new Error('unexpected incremental answer');
      return res.body.string;
    };
    const run = compileOperation(getSchema(), parse(QUERY));
    if (typeof run !== 'function') throw new Error('the operation does not compile');
    const alone = async (): Promise<string> => JSON.stringify(await run(context(), body.variables));

    const [a, b] = [JSON.parse(await viaApollo()), JSON.parse(await alone())] as { data?: unknown }[];
    if (JSON.stringify(a.data) !== JSON.stringify(b.data) || !a.data) throw new Error('the two ways answer differently');
    for (let i = 0; i < 2000; i++) {
      await viaApollo();
      await alone();
    }
    const apolloUs: number[] = [];
    const aloneUs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      apolloUs.push(await cpuPerCall(viaApollo, requests));
      aloneUs.push(await cpuPerCall(alone, requests));
    }
    const diffs = apolloUs.map((x, i) => x - aloneUs[i]);
    const [m1, m2, d] = [median(apolloUs), median(aloneUs), median(diffs)];
    const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
    console.log(`${bench.label}, ${rounds} rounds × ${requests} requests, CPU µs per request (median; rounds)`);
    console.log(`through Apollo's pipeline   ${m1.toFixed(0)}  (${list(apolloUs)})`);
    console.log(`compiled operation alone    ${m2.toFixed(0)}  (${list(aloneUs)})`);
    console.log(
      `Apollo's pipeline           ${d.toFixed(0)}  (${list(diffs)}): ${((100 * d) / m1).toFixed(0)}% of a read through it`,
    );
    await apollo.stop();
  } finally {
    await app.close();
    await bench.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
