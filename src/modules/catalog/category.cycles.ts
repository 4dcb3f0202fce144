/**
 * Cycle detection for category writes. `written` maps each category of the write to its new
 * parent; `stored` maps stored categories (at least every stored ancestor reachable from the
 * write) to their stored parent. A category of the write closes a cycle when following parents
 * — the written one for written categories, the stored one otherwise — leads back to it.
 *
 * Returns the written categories on a cycle. Rejecting those and checking again is needed: a
 * rejected category falls back to its stored parent, which can close a different cycle through
 * the remaining written ones; `acyclicSubset` iterates until nothing is left to reject.
 */
export function cycleMembers(
  written: ReadonlyMap<string, string | null>,
  stored: ReadonlyMap<string, string | null>,
): Set<string> {
  const parentOf = (id: string): string | null | undefined => (written.has(id) ? written.get(id) : stored.get(id));
  const DONE = 2;
  const ON_PATH = 1;
  const state = new Map<string, number>();
  const members = new Set<string>();
  for (const start of written.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [];
    let node: string | null | undefined = start;
    while (node != null && !state.has(node)) {
      state.set(node, ON_PATH);
      path.push(node);
      node = parentOf(node);
    }
    if (node != null && state.get(node) === ON_PATH) {
      // The path from `node` onwards is a cycle.
      for (let i = path.indexOf(node); i < path.length; i++) {
        const id = path[i] as string;
        if (written.has(id)) members.add(id);
      }
    }
    for (const id of path) state.set(id, DONE);
  }
  return members;
}

/** The written categories that must be refused so that the rest forms no cycle. */
export function acyclicSubset(
  written: ReadonlyMap<string, string | null>,
  stored: ReadonlyMap<string, string | null>,
): Set<string> {
  const rejected = new Set<string>();
  let active = new Map(written);
  for (;;) {
    const found = cycleMembers(active, stored);
    // A cycle made of stored categories only (a concurrent writer) is not this write's to refuse.
    if (found.size === 0) return rejected;
    for (const id of found) rejected.add(id);
    active = new Map([...active].filter(([id]) => !found.has(id)));
  }
}
