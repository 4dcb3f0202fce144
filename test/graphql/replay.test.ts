/**
 * graphql/replay.ts answers repeats of queries Apollo has served without Apollo's pipeline. It
 * must be invisible: the same requests, over real HTTP, to two apps on the same database — one
 * with the replay, one with GRAPHQL_REPLAY=false (Apollo's whole path every time) — get the same
 * status, headers and bytes, every time they are sent. And the replay must actually answer
 * (its `answered` count) where it is meant to, and leave to Apollo what it is not.
 */
import { buildApp, type BuiltApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { SCOPE, startTestApp, TEST_SECRET, type TestApp } from '../helpers/app';

let t: TestApp;
let other: BuiltApp;
let withReplay: string;
let apolloOnly: string;
const tokens = {} as Record<'admin' | 'readOnly' | 'noScopes' | 'otherTenant', string>;

beforeAll(async () => {
  t = await startTestApp();
  withReplay = await t.listen();
  const config = loadConfig({
    NODE_ENV: 'test',
    AUTH_JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    GRAPHQL_REPLAY: 'false',
  });
  config.db = t.config.db;
  other = await buildApp({ config, db: t.db });
  await other.app.listen({ port: 0, host: '127.0.0.1' });
  const address = other.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on a TCP port');
  apolloOnly = `http://127.0.0.1:${address.port}`;
  tokens.admin = await t.token();
  tokens.readOnly = await t.token({ scopes: [SCOPE.read] });
  tokens.noScopes = await t.token({ scopes: ['some.other_scope'] });
  tokens.otherTenant = await t.token({ tenant: 'globex' });
  for (const [tenant, id] of [
    ['acme', 'seg-a'],
    ['acme', 'seg-b'],
    ['globex', 'seg-g'],
  ]) {
    const res = await t.rest('PUT', `/segments/${id}`, {
      tenant,
      token: tenant === 'acme' ? tokens.admin : tokens.otherTenant,
      body: { name: { en: `Segment ${id}` }, siteCode: 'main', status: 'ACTIVE', mixins: { tier: { level: 1 } } },
    });
    expect([200, 201, 204]).toContain(res.statusCode);
  }
  const assign = await t.rest('PUT', '/segments/seg-a/customers/c-1', { body: { customer: { id: 'c-1' } } });
  expect(assign.statusCode).toBeLessThan(300);
});
afterAll(async () => {
  await other?.app.close();
  await t.close();
});

interface Sent {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that differ between any two responses, whoever answers. */
const VARYING = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);

async function send(base: string, body: unknown, opts: { token?: string | null; accept?: string } = {}): Promise<Sent> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = opts.token === undefined ? tokens.admin : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.accept !== undefined) headers.accept = opts.accept;
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
  const out: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (!VARYING.has(key)) out[key] = value;
  });
  return { status: res.status, headers: out, body: await res.text() };
}

/** Requests the replay has answered so far. */
const replayed = (): number => {
  if (!t.replay) throw new Error('the test app runs without the replay');
  return t.replay.answered;
};

/**
 * Sends the request three times to each app (the first teaches the replay; the others may be
 * answered by it) and expects identical answers throughout. Returns the answer and how many of
 * the sends the replay answered.
 */
async function same(body: unknown, opts: { token?: string | null; accept?: string } = {}): Promise<Sent & { byReplay: number }> {
  const before = replayed();
  let first: Sent | undefined;
  for (let i = 0; i < 3; i++) {
    const a = await send(withReplay, body, opts);
    const b = await send(apolloOnly, body, opts);
    expect(a).toEqual(b);
    if (first) expect(a).toEqual(first);
    first = a;
  }
  return { ...(first as Sent), byReplay: replayed() - before };
}

const SEGMENT = 'query One($id: ID!) { segment(id: $id) { id name status siteCode mixins metadata { version createdAt } } }';

describe('answers identical to Apollo, byte for byte', () => {
  it('a read by id: answered by the replay after Apollo served it once', async () => {
    const r = await same({ query: SEGMENT, variables: { id: 'seg-a' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body)).toMatchObject({ data: { segment: { id: 'seg-a', mixins: { tier: { level: 1 } } } } });
    expect(r.body.endsWith('}\n')).toBe(true);
    expect(r.byReplay).toBe(2);
  });

  it('the same text with other variables, an unknown id, another tenant', async () => {
    expect((await same({ query: SEGMENT, variables: { id: 'seg-b' } })).byReplay).toBe(3);
    const missing = await same({ query: SEGMENT, variables: { id: 'nope' } });
    expect(JSON.parse(missing.body)).toEqual({ data: { segment: null } });
    // globex's token sees globex's segment, and not acme's.
    const own = await same({ query: SEGMENT, variables: { id: 'seg-g' } }, { token: tokens.otherTenant });
    expect(JSON.parse(own.body).data.segment.id).toBe('seg-g');
    const foreign = await same({ query: SEGMENT, variables: { id: 'seg-a' } }, { token: tokens.otherTenant });
    expect(JSON.parse(foreign.body)).toEqual({ data: { segment: null } });
    expect(foreign.byReplay).toBe(3);
  });

  it('operationName picks one of several operations; aliases, fragments, @include and defaults', async () => {
    const query = `
      fragment F on Segment { id status }
      query First { segments(pageSize: 1) { totalCount } }
      query Second($a: ID!, $full: Boolean = false, $size: Int = 2) {
        x: segment(id: $a) { ...F name @include(if: $full) }
        y: segments(pageSize: $size, sort: "id") { items { ...F } pageSize }
      }`;
    const second = await same({ query, operationName: 'Second', variables: { a: 'seg-a' } });
    expect(JSON.parse(second.body).data).toEqual({
      x: { id: 'seg-a', status: 'ACTIVE' },
      y: {
        items: [
          { id: 'seg-a', status: 'ACTIVE' },
          { id: 'seg-b', status: 'ACTIVE' },
        ],
        pageSize: 2,
      },
    });
    expect(second.byReplay).toBe(2);
    const full = await same({ query, operationName: 'Second', variables: { a: 'seg-a', full: true, size: 1 } });
    expect(JSON.parse(full.body).data.x.name).toEqual({ en: 'Segment seg-a' });
    const first = await same({ query, operationName: 'First' });
    expect(JSON.parse(first.body).data.segments.totalCount).toBe(2);
    // No operationName for a document of two operations: Apollo's error, every time.
    const none = await same({ query });
    expect(none.status).toBe(400);
    expect(none.byReplay).toBe(0);
    const unknown = await same({ query, operationName: 'Third' });
    expect(unknown.status).toBe(400);
    expect(unknown.byReplay).toBe(0);
    // A document of one operation, and a name it does not have: Apollo's 400, not the operation.
    const single = await same({ query: SEGMENT, variables: { id: 'seg-a' }, operationName: 'Nope' });
    expect(single.status).toBe(400);
    expect(JSON.parse(single.body).errors[0].message).toMatch(/Nope/);
    expect(single.byReplay).toBe(0);
  });

  it('nested pages and counts', async () => {
    const query = `query($id: ID!) { segment(id: $id) { customerCount customers(pageSize: 5) { items { customer { id } } totalCount } } }`;
    const r = await same({ query, variables: { id: 'seg-a' } });
    expect(JSON.parse(r.body).data.segment).toMatchObject({ customerCount: 1, customers: { totalCount: 1 } });
    expect(r.byReplay).toBe(2);
  });

  it('each Accept header gets the content type Apollo gives it', async () => {
    const body = { query: SEGMENT, variables: { id: 'seg-a' } };
    const types: Record<string, string> = {};
    // fetch sends `*/*` when no Accept is given: the tests above have taught that one already.
    const accepts = [
      'application/graphql-response+json',
      'application/json',
      'application/graphql-response+json, application/json;q=0.9',
    ];
    for (const accept of [...accepts, '*/*']) {
      const r = await same(body, { accept });
      expect(r.status).toBe(200);
      types[accept] = r.headers['content-type'];
      expect(r.byReplay).toBe(accept === '*/*' ? 3 : 2);
    }
    expect(types['application/graphql-response+json']).toBe('application/graphql-response+json; charset=utf-8');
    expect(types['*/*']).toBe('application/json; charset=utf-8');
    // Nothing acceptable: Apollo's 406, never learned, never replayed.
    const refused = await same(body, { accept: 'text/html' });
    expect(refused.status).toBe(406);
    expect(refused.byReplay).toBe(0);
  });
});

describe('what the replay hands to Apollo', () => {
  it('errors in the result: formatted by Apollo, the operation run once', async () => {
    // A token without a read scope: the resolver refuses, inside a 200 with errors.
    const r = await same({ query: SEGMENT, variables: { id: 'seg-a' } }, { token: tokens.noScopes });
    const parsed = JSON.parse(r.body) as { errors?: { extensions?: { code?: string } }[] };
    expect(parsed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(r.byReplay).toBe(0);
  });

  it('an error after statements ran: the same statements as through Apollo alone (run once, not twice)', async () => {
    // The page is read without a loader (a loader would answer a second run from its cache).
    const query =
      'query($id: ID!) { segment(id: $id) { id } segments(pageSize: 1) { totalCount } customerAssignments(segmentId: "missing") { totalCount } }';
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    t.db.knex.on('query', onQuery);
    try {
      const counted = async (base: string) => {
        statements.length = 0;
        const res = await send(base, { query, variables: { id: 'seg-a' } });
        return { res, statements: statements.length };
      };
      for (let i = 0; i < 3; i++) {
        const [a, b] = [await counted(withReplay), await counted(apolloOnly)];
        expect(a.res).toEqual(b.res);
        expect(JSON.parse(a.res.body)).toMatchObject({ data: null });
        expect(a.statements).toBeGreaterThan(0);
        expect(a.statements).toBe(b.statements);
      }
    } finally {
      t.db.knex.off('query', onQuery);
    }
  });

  it('variables that do not coerce: 400 BAD_USER_INPUT from Apollo', async () => {
    const query = 'query($size: Int) { segments(pageSize: $size) { totalCount } }';
    expect((await same({ query, variables: { size: 1 } })).byReplay).toBe(2);
    const bad = await same({ query, variables: { size: 'abc' } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.byReplay).toBe(0);
  });

  it('a known text whose variables cost too much: refused by the checks, answered by Apollo', async () => {
    const query =
      'query($n: Int) { segments(pageSize: $n) { items { customers(pageSize: 1000) { items { customer { id } } } } } }';
    expect((await same({ query, variables: { n: 1 } })).byReplay).toBe(2);
    const costly = await same({ query, variables: { n: 1000 } });
    expect(costly.status).toBe(400);
    expect(JSON.parse(costly.body).errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
    expect(costly.byReplay).toBe(0);
  });

  it('no token, a mutation, extensions, a GET: Apollo every time', async () => {
    expect((await same({ query: SEGMENT, variables: { id: 'seg-a' } }, { token: null })).status).toBe(401);
    const mutation = 'mutation($id: ID!) { deleteSegment(id: $id) }';
    const before = replayed();
    for (let i = 0; i < 3; i++) {
      const res = await send(withReplay, { query: mutation, variables: { id: 'never-there' } });
      expect(res.status).toBe(200);
    }
    expect(replayed()).toBe(before);
    const ext = await same({ query: SEGMENT, variables: { id: 'seg-a' }, extensions: {} });
    expect(ext.status).toBe(200);
    expect(ext.byReplay).toBe(0);
    const url = `/graphql?query=${encodeURIComponent(SEGMENT)}&variables=${encodeURIComponent('{"id":"seg-a"}')}`;
    const get = async (base: string) => {
      const res = await fetch(base + url, {
        headers: { authorization: `Bearer ${tokens.admin}`, 'apollo-require-preflight': 'x' },
      });
      return { status: res.status, body: await res.text() };
    };
    const countBefore = replayed();
    expect(await get(withReplay)).toEqual(await get(apolloOnly));
    expect(replayed()).toBe(countBefore);
  });

  it('a read-only token reads through the replay', async () => {
    const r = await same({ query: SEGMENT, variables: { id: 'seg-b' } }, { token: tokens.readOnly });
    expect(JSON.parse(r.body).data.segment.id).toBe('seg-b');
    expect(r.byReplay).toBe(3);
  });
});

describe('the setting', () => {
  const base = { NODE_ENV: 'test', AUTH_JWT_SECRET: TEST_SECRET };
  it('is on by default, off with GRAPHQL_REPLAY=false, and off with APOLLO_KEY unless asked for', () => {
    expect(loadConfig(base).graphqlReplay).toBe(true);
    expect(loadConfig({ ...base, GRAPHQL_REPLAY: 'false' }).graphqlReplay).toBe(false);
    // Apollo reports usage per request it runs: a replayed request would go unreported.
    expect(loadConfig({ ...base, APOLLO_KEY: 'service:graph:key' }).graphqlReplay).toBe(false);
    expect(loadConfig({ ...base, APOLLO_KEY: 'service:graph:key', GRAPHQL_REPLAY: 'true' }).graphqlReplay).toBe(true);
  });

  it('an app built with GRAPHQL_REPLAY=false has none; the default one has', () => {
    expect(other.replay).toBeUndefined();
    expect(t.replay).toBeDefined();
  });
});
