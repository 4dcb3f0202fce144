import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runImport } from '../../src/import/import';
import { startTestApp, type TestApp } from '../helpers/app';
import { emailOf, inLanguages, nested, nestedJson, ofBytes } from '../helpers/limits';
import { createSegment } from '../catalog/fixtures';

/**
 * The NDJSON import holds lines to the input limits (README "Limits") with the messages the
 * GraphQL mutations give: a line over a limit is rejected and named, a line at it is written.
 */
let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-limits-'));
  await createSegment(t, 'lim-s1');
});
afterAll(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('lines over a limit are rejected with the field and the limit; lines at it are written', async () => {
  const lines: [object | string, string | null][] = [
    [{ kind: 'customer', id: 'l-c1', firstName: 'f'.repeat(255), email: emailOf(255) }, null],
    [{ kind: 'customer', id: 'l-c2', lastName: 'l'.repeat(256) }, 'lastName: 256 characters; at most 255'],
    [{ kind: 'customer', id: 'l-c3', email: emailOf(256) }, 'email: 256 characters; at most 255'],
    [{ kind: 'customer', id: 'l-c\u0000' }, 'id must not contain control characters (U+0000 at position 3)'],
    [{ kind: 'legalEntity', id: 'l-le1', name: 'n'.repeat(256) }, 'name: 256 characters; at most 255'],
    [{ kind: 'product', id: 'l-p1', name: inLanguages(50, 'n'.repeat(500)) }, null],
    [{ kind: 'product', id: 'l-p2', name: { en: 'n'.repeat(501) } }, 'name.en: 501 characters; at most 500'],
    [
      { kind: 'product', id: 'l-p3', categoryIds: ['k\u200b'] },
      'categoryIds[0] must not contain invisible format characters (U+200B at position 1)',
    ],
    [{ kind: 'category', id: 'l-k1', description: { en: 'd'.repeat(5001) } }, 'description.en: 5001 characters; at most 5000'],
    [{ kind: 'category', id: 'l-k2', slug: inLanguages(51) }, 'slug: 51 languages; at most 50'],
    [{ kind: 'customerAssignment', segmentId: 'lim-s1', customerId: 'l-c1', mixins: nested(16) }, null],
    [
      { kind: 'customerAssignment', segmentId: 'lim-s1', customerId: 'l-c4', mixins: nested(17) },
      'mixins: nested 17 levels deep; at most 16',
    ],
    [
      `{"kind":"customerAssignment","segmentId":"lim-s1","customerId":"l-c5","mixins":${nestedJson(100_000)}}`,
      'mixins: nested 100000 levels deep; at most 16',
    ],
    [
      { kind: 'customerAssignment', segmentId: 'lim-s1', customerId: 'l-c6', metadata: { mixins: ofBytes(65537) } },
      'metadata.mixins: 65537 bytes as JSON; at most 65536',
    ],
    [{ kind: 'itemAssignment', segmentId: 'lim-s1', type: 'PRODUCT', itemId: 'l-p1', mixins: ofBytes(65536) }, null],
    [
      { kind: 'itemAssignment', segmentId: 'lim-s1', type: 'PRODUCT', itemId: 'l-p2', mixins: ofBytes(65537) },
      'mixins: 65537 bytes as JSON; at most 65536',
    ],
    [
      { kind: 'itemAssignment', segmentId: 'lim-s1\u001b', type: 'PRODUCT', itemId: 'l-p1' },
      'segmentId must not contain control characters (U+001B at position 6)',
    ],
  ];
  const file = path.join(dir, 'limits.ndjson');
  fs.writeFileSync(file, lines.map(([l]) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');

  const summary = await runImport({ db: t.db, tenant: 'acme', files: [file] });
  const byLine = Object.fromEntries(summary.rejections.map((r) => [r.line, r.reason]));
  const expected = Object.fromEntries(lines.flatMap(([, reason], i) => (reason === null ? [] : [[i + 1, reason]])));
  expect(byLine).toEqual(expected);
  expect(summary).toMatchObject({ read: lines.length, written: 4, rejected: lines.length - 4 });
  const stored = await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: 'lim-s1' }).pluck('customer_id');
  expect(stored).toEqual(['l-c1']);
});
