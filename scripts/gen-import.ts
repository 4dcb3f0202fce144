import fs from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

/**
 * Writes a realistic NDJSON import file: a category forest, products in categories, legal
 * entities, customers (some B2B), and — for the segment ids given — customer and item
 * assignments. The segments themselves are not in the file (the import does not create
 * segments): create them first, e.g. through the API or as bench/import.ts does.
 *
 *   npm run build && node dist/scripts/gen-import.js --lines 100000 --segments s1,s2 --out big.ndjson
 *
 * Deterministic for a given --seed. Assignment keys are unique, so every line ends up as one row.
 */
export interface GenerateOptions {
  lines: number;
  segments: readonly string[];
  out: string;
  seed?: number;
}

export interface GenerateResult {
  lines: number;
  byKind: Record<string, number>;
}

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number): string => String(n).padStart(6, '0');
const WORDS = ['Oak', 'Steel', 'Linen', 'Classic', 'Nordic', 'Urban', 'Eco', 'Pro', 'Mini', 'Grand', 'Soft', 'Bold'];
const THINGS = ['Chair', 'Table', 'Lamp', 'Shelf', 'Desk', 'Sofa', 'Rug', 'Stool', 'Bench', 'Cabinet', 'Bed', 'Mirror'];
const FIRST = ['Ada', 'Ben', 'Clara', 'David', 'Eva', 'Finn', 'Greta', 'Hugo', 'Ida', 'Jonas', 'Karla', 'Leo'];
const LAST = ['Meyer', 'Novak', 'Olsen', 'Peters', 'Quinn', 'Roth', 'Schulz', 'Taylor', 'Ueda', 'Vogel', 'Wong', 'Young'];

export async function generateImport(opts: GenerateOptions): Promise<GenerateResult> {
  const rnd = prng(opts.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const segs = opts.segments;
  const total = opts.lines;
  // Shares of the file; assignments only when there are segments to assign to.
  const share = segs.length
    ? { category: 0.02, legalEntity: 0.03, product: 0.35, customer: 0.4, itemAssignment: 0.05 }
    : { category: 0.02, legalEntity: 0.03, product: 0.4, customer: 0.55, itemAssignment: 0 };
  const nCategories = Math.max(1, Math.floor(total * share.category));
  const nLegalEntities = Math.max(1, Math.floor(total * share.legalEntity));
  const nProducts = Math.floor(total * share.product);
  const nItemAssignments = Math.floor(total * share.itemAssignment);
  // Customers and their assignments fill the rest, interleaved (a customer, then its segments).
  const rest = Math.max(0, total - nCategories - nLegalEntities - nProducts - nItemAssignments);

  const stream = fs.createWriteStream(opts.out, { encoding: 'utf8' });
  const byKind: Record<string, number> = {};
  let written = 0;
  let chunk: string[] = [];
  const emit = async (obj: Record<string, unknown>): Promise<void> => {
    if (written >= total) return;
    chunk.push(JSON.stringify(obj));
    byKind[obj.kind as string] = (byKind[obj.kind as string] ?? 0) + 1;
    written++;
    if (chunk.length >= 1000) await drain();
  };
  const drain = async (): Promise<void> => {
    if (!chunk.length) return;
    const ok = stream.write(chunk.join('\n') + '\n');
    chunk = [];
    if (!ok) await once(stream, 'drain');
  };

  // Categories: a forest about five levels deep; parents come before their children.
  const depth: number[] = [];
  for (let i = 0; i < nCategories; i++) {
    const isRoot = i < Math.max(1, Math.ceil(nCategories / 50));
    let parent: number | null = null;
    if (!isRoot) {
      do parent = Math.floor(rnd() * i);
      while ((depth[parent] ?? 0) >= 4);
    }
    depth[i] = parent === null ? 0 : (depth[parent] ?? 0) + 1;
    const word = pick(WORDS);
    await emit({
      kind: 'category',
      id: `cat-${pad(i)}`,
      parentId: parent === null ? null : `cat-${pad(parent)}`,
      code: `C${pad(i)}`,
      name: { en: `${word} ${i}`, de: `${word} ${i} (de)` },
      slug: { en: `${word.toLowerCase()}-${i}` },
      position: Math.floor(rnd() * 100),
      published: rnd() > 0.05,
    });
  }
  for (let i = 0; i < nLegalEntities; i++)
    await emit({ kind: 'legalEntity', id: `le-${pad(i)}`, name: `${pick(LAST)} ${pick(THINGS)}s Ltd` });
  for (let i = 0; i < nProducts; i++) {
    const n = 1 + Math.floor(rnd() * 3);
    const categoryIds = [...new Set(Array.from({ length: n }, () => `cat-${pad(Math.floor(rnd() * nCategories))}`))];
    const name = `${pick(WORDS)} ${pick(THINGS)}`;
    await emit({ kind: 'product', id: `prd-${pad(i)}`, code: `P${pad(i)}`, name: { en: name, de: `${name} (de)` }, categoryIds });
  }
  for (let c = 0, used = 0; used < rest; c++) {
    const legalEntityIds = rnd() < 0.3 ? [`le-${pad(Math.floor(rnd() * nLegalEntities))}`] : [];
    const first = pick(FIRST);
    const last = pick(LAST);
    await emit({
      kind: 'customer',
      id: `cus-${pad(c)}`,
      firstName: first,
      lastName: last,
      email: `${first}.${last}.${c}@example.com`.toLowerCase(),
      legalEntityIds,
    });
    used++;
    // About one in three customers is in a segment (B2B ones for their legal entity).
    if (segs.length && rnd() < 0.375 && used < rest) {
      const assignment: Record<string, unknown> = {
        kind: 'customerAssignment',
        segmentId: segs[c % segs.length],
        customerId: `cus-${pad(c)}`,
        mixins: { source: 'import', score: Math.floor(rnd() * 100) },
      };
      if (legalEntityIds.length) assignment.legalEntityId = legalEntityIds[0];
      await emit(assignment);
      used++;
    }
  }
  for (let i = 0; i < nItemAssignments; i++) {
    // Unique keys: product i, or category i, per segment round-robin.
    const category = i % 10 === 0 && i / 10 < nCategories;
    await emit({
      kind: 'itemAssignment',
      segmentId: segs[i % segs.length],
      type: category ? 'CATEGORY' : 'PRODUCT',
      itemId: category ? `cat-${pad(i / 10)}` : `prd-${pad(i % Math.max(1, nProducts))}`,
    });
  }
  await drain();
  stream.end();
  await once(stream, 'finish');
  return { lines: written, byKind };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '100000' },
      segments: { type: 'string', default: '' },
      out: { type: 'string', default: 'import.ndjson' },
      seed: { type: 'string', default: '42' },
    },
    strict: true,
  });
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 1) {
    process.stderr.write('--lines must be a positive integer\n');
    return 2;
  }
  const segments = values.segments.split(',').filter((s) => s !== '');
  const result = await generateImport({ lines, segments, out: values.out, seed: Number(values.seed) });
  process.stderr.write(`wrote ${result.lines} lines to ${values.out}: ${JSON.stringify(result.byKind)}\n`);
  if (segments.length) process.stderr.write(`assignments expect these segments to exist: ${segments.join(', ')}\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
