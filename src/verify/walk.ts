import { InputError } from '../lib/errors.js';

/**
 * The graph part of the chain walk, apart from what a record is: breadth-first
 * from the roots with a visited set (each node loaded once however many
 * links reach it), a bound on the number of nodes, and cycle detection over
 * what was loaded. Kept separate so the visited-set and cycle logic can be
 * tested with a fake loader (real record ids are content hashes, so a real
 * store cannot hold a cycle).
 */

/** What loading one node gave. */
export type LoadResult<T> =
  | { status: 'ok'; value: T; links: readonly string[] }
  | { status: 'missing' }
  | { status: 'bad'; value: unknown };

/** A node of the walk. */
export interface WalkedNode<T> {
  id: string;
  /** Breadth-first distance from the nearest root. */
  depth: number;
  result: LoadResult<T>;
}

/** The graph a walk found. */
export interface WalkResult<T> {
  /** Every node, in breadth-first order. */
  nodes: WalkedNode<T>[];
  /** Node by id. */
  byId: Map<string, WalkedNode<T>>;
  /** Links that close a cycle (`from` links back to `to`, an ancestor on the path from a root, or itself). */
  backEdges: { from: string; to: string }[];
}

/** How many nodes of one breadth-first level are loaded at once. */
const LOAD_CONCURRENCY = 64;

/**
 * Walk a graph breadth-first from `roots`.
 *
 * @param roots the ids to start from
 * @param load loads one node: its value and its links, or missing, or bad (bad and missing nodes have no links)
 * @param maxNodes most nodes loaded before giving up
 * @returns the nodes in breadth-first order and the links that close cycles
 * @throws InputError `ERR_LIMIT_EXCEEDED` when more than `maxNodes` nodes are reachable
 * @example
 * ```ts
 * const graph = await walkGraph(['a'], async (id) => ({ status: 'ok', value: id, links: edges[id] ?? [] }), 1000);
 * ```
 */
export async function walkGraph<T>(
  roots: readonly string[],
  load: (id: string, depth: number) => Promise<LoadResult<T>>,
  maxNodes: number,
): Promise<WalkResult<T>> {
  const byId = new Map<string, WalkedNode<T>>();
  const nodes: WalkedNode<T>[] = [];
  const seen = new Set<string>();
  let level: string[] = [];
  for (const id of roots) {
    if (seen.has(id)) continue;
    seen.add(id);
    level.push(id);
  }
  for (let depth = 0; level.length > 0; depth++) {
    if (seen.size > maxNodes) throw new InputError('ERR_LIMIT_EXCEEDED', `the chain has more than ${maxNodes} records`);
    const next: string[] = [];
    for (let at = 0; at < level.length; at += LOAD_CONCURRENCY) {
      const batch = level.slice(at, at + LOAD_CONCURRENCY);
      const results = await Promise.all(batch.map((id) => load(id, depth)));
      batch.forEach((id, i) => {
        const node: WalkedNode<T> = { id, depth, result: results[i]! };
        nodes.push(node);
        byId.set(id, node);
        if (node.result.status !== 'ok') return;
        for (const link of node.result.links) {
          if (seen.has(link)) continue;
          seen.add(link);
          next.push(link);
        }
      });
    }
    level = next;
  }
  return { nodes, byId, backEdges: findBackEdges(nodes, byId) };
}

/** Links that close a cycle, by an iterative depth-first search (no recursion limit on deep chains). */
function findBackEdges<T>(nodes: readonly WalkedNode<T>[], byId: ReadonlyMap<string, WalkedNode<T>>): { from: string; to: string }[] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>();
  const back: { from: string; to: string }[] = [];
  const linksOf = (id: string): readonly string[] => {
    const r = byId.get(id)?.result;
    return r?.status === 'ok' ? r.links : [];
  };
  for (const start of nodes) {
    if ((color.get(start.id) ?? WHITE) !== WHITE) continue;
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    color.set(start.id, GREY);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const links = linksOf(top.id);
      if (top.next >= links.length) {
        color.set(top.id, BLACK);
        stack.pop();
        continue;
      }
      const to = links[top.next++]!;
      const c = color.get(to) ?? WHITE;
      if (c === GREY) back.push({ from: top.id, to });
      else if (c === WHITE && byId.has(to)) {
        color.set(to, GREY);
        stack.push({ id: to, next: 0 });
      }
    }
  }
  return back;
}
