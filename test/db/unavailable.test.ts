import { GraphQLError } from 'graphql';
import { isConnectionLost, isDatabaseUnavailable } from '../../src/db/errors';
import { formatGraphQLError } from '../../src/graphql/format-error';
import { answerForErrors } from '../../src/rest/http-errors';

/** "The database is unavailable" is decided in one place and answered once per face. */
const driverError = (props: Record<string, unknown>) =>
  Object.assign(new Error("select * from `segments` where `tenant` = 'acme' - connect ECONNREFUSED 10.0.0.5:3306"), props);

describe('isDatabaseUnavailable', () => {
  test.each([
    ['refused', { code: 'ECONNREFUSED', fatal: true }],
    ['connect timeout', { code: 'ETIMEDOUT', fatal: true }],
    ['statement timeout (mysql2)', { code: 'PROTOCOL_SEQUENCE_TIMEOUT' }],
    ['statement timeout (MariaDB max_statement_time)', { errno: 1969 }],
    ['connection lost', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }],
    ['connection reset', { code: 'ECONNRESET', fatal: true }],
    ['connection killed (MariaDB)', { errno: 1927 }],
    ['closed connection', { fatal: true }],
    ['too many connections', { code: 'ER_CON_COUNT_ERROR', errno: 1040 }],
    ['no pooled connection in time', { name: 'KnexTimeoutError' }],
    ['SQLite busy', { code: 'SQLITE_BUSY' }],
  ])('%s is unavailable', (_name, props) => {
    expect(isDatabaseUnavailable(driverError(props))).toBe(true);
  });

  test.each([
    ['a duplicate key', { code: 'ER_DUP_ENTRY', errno: 1062 }],
    ['a syntax error', { code: 'ER_PARSE_ERROR', errno: 1064 }],
    ['a bug', {}],
  ])('%s is not', (_name, props) => {
    expect(isDatabaseUnavailable(driverError(props))).toBe(false);
  });

  test('only a dead connection counts as lost (a slow statement does not: it may be slow again)', () => {
    expect(isConnectionLost(driverError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toBe(true);
    expect(isConnectionLost(driverError({ fatal: true }))).toBe(true);
    expect(isConnectionLost(driverError({ code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true }))).toBe(false);
    expect(isConnectionLost(driverError({ code: 'ECONNREFUSED', fatal: true }))).toBe(false);
    expect(isConnectionLost(driverError({ errno: 1969 }))).toBe(false);
  });
});

describe('answered once per face, never with the driver text', () => {
  const located = () =>
    new GraphQLError('wrapped', { path: ['segment'], originalError: driverError({ code: 'ECONNREFUSED', fatal: true }) });

  test('REST: 503, the Error body, Retry-After', () => {
    const answer = answerForErrors([located()]);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ code: 503, status: 'Service Unavailable', message: expect.any(String) });
    expect(answer.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(JSON.stringify(answer.body)).not.toMatch(/ECONN|segments|10\.0/);
  });

  test('REST: an outage outranks an ordinary error in the same answer', () => {
    const notFound = new GraphQLError('nope', { extensions: { code: 'NOT_FOUND' } });
    expect(answerForErrors([notFound, located()]).status).toBe(503);
  });

  test('GraphQL: SERVICE_UNAVAILABLE', () => {
    const error = located();
    const formatted = formatGraphQLError(
      { message: error.message, path: ['segment'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      error,
      false,
    );
    expect(formatted.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(formatted.message).not.toMatch(/ECONN|segments|10\.0/);
  });
});
