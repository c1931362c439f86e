import * as dagre from '@dagrejs/dagre';

import type { IDag, RunState } from '../tokens';

/** A node placed by the layout: its centre, size, and the label that fits in it. */
export interface ILaidOutNode {
  id: string;
  label: string;
  /** The label cut to fit the box (the full one is `label`). */
  shortLabel: string;
  kind?: string;
  state?: RunState;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ILaidOutEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface IDagLayout {
  nodes: ILaidOutNode[];
  edges: ILaidOutEdge[];
  width: number;
  height: number;
}

/** Box sizes: wide enough for a typical task name, never wider than MAX_WIDTH. */
export const NODE_HEIGHT = 40;
const MIN_WIDTH = 120;
const MAX_WIDTH = 240;
const CHAR_WIDTH = 7;
const PADDING = 44; // icon and margins

/** Cut a label to what fits a box of MAX_WIDTH. */
export function fitLabel(label: string): string {
  const max = Math.floor((MAX_WIDTH - PADDING) / CHAR_WIDTH);
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/**
 * Place a task graph top to bottom with dagre (layered, Sugiyama-style). Edges naming a
 * node the graph does not have are dropped, duplicates kept once, so a partial DAG from
 * KFP still draws. Pure: the Dag component only renders what this returns.
 */
export function layoutDag(dag: IDag | null | undefined): IDagLayout {
  const nodes = dag?.nodes ?? [];
  const ids = new Set(nodes.map(n => n.id));
  const graph = new dagre.graphlib.Graph({ multigraph: false });
  graph.setGraph({
    rankdir: 'TB',
    nodesep: 24,
    ranksep: 40,
    marginx: 16,
    marginy: 16
  });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const shortLabel = fitLabel(node.label || node.id);
    const width = Math.min(
      MAX_WIDTH,
      Math.max(MIN_WIDTH, shortLabel.length * CHAR_WIDTH + PADDING)
    );
    graph.setNode(node.id, { width, height: NODE_HEIGHT });
  }
  const seen = new Set<string>();
  const edges: { from: string; to: string }[] = [];
  for (const edge of dag?.edges ?? []) {
    const key = `${edge.from}\u0000${edge.to}`;
    if (!ids.has(edge.from) || !ids.has(edge.to) || edge.from === edge.to || seen.has(key)) {
      continue;
    }
    seen.add(key);
    edges.push(edge);
    graph.setEdge(edge.from, edge.to);
  }
  dagre.layout(graph);
  const laid: ILaidOutNode[] = nodes.map(node => {
    const placed = graph.node(node.id);
    return {
      id: node.id,
      label: node.label || node.id,
      shortLabel: fitLabel(node.label || node.id),
      kind: node.kind,
      state: node.state,
      x: placed.x,
      y: placed.y,
      width: placed.width,
      height: placed.height
    };
  });
  const size = graph.graph();
  return {
    nodes: laid,
    edges: edges.map(edge => ({
      ...edge,
      points: ((graph.edge(edge.from, edge.to)?.points ?? []) as { x: number; y: number }[]).map(p => ({
        x: p.x,
        y: p.y
      }))
    })),
    width: Math.max(0, size.width ?? 0),
    height: Math.max(0, size.height ?? 0)
  };
}
