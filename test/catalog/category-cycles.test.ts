import fc from 'fast-check';
import { acyclicSubset, cycleMembers } from '../../src/modules/catalog/category.cycles';

const m = (entries: [string, string | null][]) => new Map(entries);

test('finds the written categories on a cycle, through stored ones too', () => {
  expect(
    cycleMembers(
      m([
        ['a', 'b'],
        ['b', 'a'],
        ['c', 'a'],
      ]),
      m([]),
    ),
  ).toEqual(new Set(['a', 'b']));
  expect(
    cycleMembers(
      m([['a', 's2']]),
      m([
        ['s2', 's1'],
        ['s1', 'a'],
        ['a', null],
      ]),
    ),
  ).toEqual(new Set(['a']));
  expect(cycleMembers(m([['a', 'unknown']]), m([]))).toEqual(new Set());
  expect(
    cycleMembers(
      m([
        ['a', null],
        ['b', 'a'],
      ]),
      m([['a', 'b']]),
    ),
  ).toEqual(new Set());
});

test('iterates: a refused category falls back to its stored parent, which may close another cycle', () => {
  // Written: A→B, B→A, C→D. Stored: D→A, A→C. Refusing A and B leaves C→D→A→C.
  const written = m([
    ['A', 'B'],
    ['B', 'A'],
    ['C', 'D'],
  ]);
  const stored = m([
    ['D', 'A'],
    ['A', 'C'],
    ['C', null],
  ]);
  expect(cycleMembers(written, stored)).toEqual(new Set(['A', 'B']));
  expect(acyclicSubset(written, stored)).toEqual(new Set(['A', 'B', 'C']));
});

test('property: what is left after refusing the subset is acyclic', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const parent = fc.option(fc.constantFrom(...ids), { nil: null });
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...ids), parent), fc.dictionary(fc.constantFrom(...ids), parent), (w, s) => {
      const written = m(Object.entries(w).filter(([k, v]) => k !== v));
      // The store is acyclic by construction: parents only point to later ids.
      const stored = m(Object.entries(s).map(([k, v]) => [k, v !== null && v > k ? v : null]));
      const refused = acyclicSubset(written, stored);
      const kept = m([...written].filter(([k]) => !refused.has(k)));
      const parentOf = (id: string) => (kept.has(id) ? kept.get(id) : stored.get(id));
      for (const start of ids) {
        let node: string | null | undefined = start;
        for (let steps = 0; node != null; steps++) {
          if (steps > ids.length) return false;
          node = parentOf(node);
        }
      }
      return true;
    }),
  );
});
