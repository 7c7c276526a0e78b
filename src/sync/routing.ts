/**
 * Link-state view of the peer graph, and the origin-rooted BFS trees used to forward routed messages.
 */

/**
 * A peer's view of the whole graph, built from flooded TOPOLOGY messages plus its own links.
 * An edge x–y exists only when both x and y list each other, so a half-open link is never routed over.
 */
export class TopologyView {
  readonly selfId: string;
  readonly #entries = new Map<string, { version: number; neighbours: Set<string> }>();
  #ownNeighbours = new Set<string>();
  #adjacency: Map<string, string[]> | null = null;
  readonly #trees = new Map<string, Map<string, string[]>>();

  constructor(selfId: string) {
    this.selfId = selfId;
  }

  /** Replaces this peer's own neighbour set. Returns true if the graph changed. */
  setOwnNeighbours(neighbours: Iterable<string>): boolean {
    const before = this.signature();
    this.#ownNeighbours = new Set(neighbours);
    this.#invalidate();
    return before !== this.signature();
  }

  /** Known version for `origin`, or -1. */
  version(origin: string): number {
    return this.#entries.get(origin)?.version ?? -1;
  }

  /** Every (origin, version, neighbours) entry known, other than our own. */
  entries(): Array<{ origin: string; version: number; neighbours: string[] }> {
    return [...this.#entries].map(([origin, e]) => ({ origin, version: e.version, neighbours: [...e.neighbours] }));
  }

  /**
   * Stores an entry if its version is newer than the known one.
   * Returns `{ accepted, changed }`: accepted = newer (forward it), changed = the graph changed.
   */
  update(origin: string, version: number, neighbours: string[]): { accepted: boolean; changed: boolean } {
    if (origin === this.selfId) return { accepted: false, changed: false };
    if (version <= this.version(origin)) return { accepted: false, changed: false };
    const before = this.signature();
    this.#entries.set(origin, { version, neighbours: new Set(neighbours) });
    this.#invalidate();
    return { accepted: true, changed: before !== this.signature() };
  }

  /** Sorted adjacency lists of the symmetric graph. */
  adjacency(): Map<string, string[]> {
    if (this.#adjacency) return this.#adjacency;
    const claims = new Map<string, Set<string>>();
    claims.set(this.selfId, this.#ownNeighbours);
    for (const [origin, e] of this.#entries) claims.set(origin, e.neighbours);
    const adj = new Map<string, string[]>();
    for (const [x, ns] of claims) {
      const list: string[] = [];
      for (const y of ns) if (y !== x && claims.get(y)?.has(x)) list.push(y);
      list.sort();
      adj.set(x, list);
    }
    this.#adjacency = adj;
    return adj;
  }

  /** A canonical string of the edge set, to detect whether the view changed. */
  signature(): string {
    const adj = this.adjacency();
    const parts: string[] = [];
    for (const [x, ns] of adj) for (const y of ns) if (x < y) parts.push(`${x}\u0000${y}`);
    parts.sort();
    return parts.join('\u0001');
  }

  /** Peers reachable from self over the symmetric graph (self excluded), sorted. */
  reachable(): string[] {
    const tree = this.#tree(this.selfId);
    return tree ? [...tree.keys()].filter((p) => p !== this.selfId).sort() : [];
  }

  /** Whether `origin` is part of our connected component. */
  knows(origin: string): boolean {
    return this.#tree(origin)?.has(this.selfId) ?? false;
  }

  /**
   * Children of `node` in the BFS tree rooted at `origin`, or `undefined` when this view cannot place
   * `origin` and `node` in one component (callers then fall back to flooding).
   */
  children(origin: string, node: string): string[] | undefined {
    const tree = this.#tree(origin);
    if (!tree || !tree.has(node)) return undefined;
    return tree.get(node) ?? [];
  }

  #invalidate(): void {
    this.#adjacency = null;
    this.#trees.clear();
  }

  /**
   * BFS from `origin`, one level at a time with each level sorted, so a node's parent is the smallest-id
   * peer of the previous level adjacent to it: every peer with the same view computes the same tree.
   * Returns node → children.
   */
  #tree(origin: string): Map<string, string[]> | undefined {
    const cached = this.#trees.get(origin);
    if (cached) return cached;
    const adj = this.adjacency();
    if (!adj.has(origin)) return undefined;
    const children = new Map<string, string[]>([[origin, []]]);
    let level = [origin];
    while (level.length > 0) {
      const next: string[] = [];
      for (const parent of level) {
        for (const n of adj.get(parent) ?? []) {
          if (children.has(n)) continue;
          children.set(n, []);
          children.get(parent)!.push(n);
          next.push(n);
        }
      }
      next.sort();
      level = next;
    }
    this.#trees.set(origin, children);
    return children;
  }
}

/**
 * Remembers which sequence numbers of each origin were seen, in a bounded window per origin.
 * Anything older than the window is treated as seen: origins number their messages increasingly.
 */
export class SeenWindow {
  readonly #size: number;
  readonly #byOrigin = new Map<string, { max: number; seen: Set<number> }>();

  constructor(size = 1024) {
    this.#size = size;
  }

  /** Marks (origin, seq) as seen; returns false if it had been seen already. */
  add(origin: string, seq: number): boolean {
    let w = this.#byOrigin.get(origin);
    if (!w) {
      w = { max: -1, seen: new Set() };
      this.#byOrigin.set(origin, w);
    }
    if (seq <= w.max - this.#size) return false;
    if (w.seen.has(seq)) return false;
    w.seen.add(seq);
    if (seq > w.max) {
      w.max = seq;
      if (w.seen.size > this.#size) for (const s of w.seen) if (s <= w.max - this.#size) w.seen.delete(s);
    }
    return true;
  }

  /** Whether (origin, seq) counts as seen, without marking it. */
  has(origin: string, seq: number): boolean {
    const w = this.#byOrigin.get(origin);
    return w !== undefined && (seq <= w.max - this.#size || w.seen.has(seq));
  }

  /** Forgets an origin (it left: its messages, should any still arrive, are harmless to re-apply). */
  forget(origin: string): void {
    this.#byOrigin.delete(origin);
  }
}
