import * as v8 from 'v8';

import { layoutDag } from '../model/dagLayout';

// dagre uses structuredClone, which every browser JupyterLab supports has and jsdom lacks.
if (typeof (globalThis as any).structuredClone !== 'function') {
  (globalThis as any).structuredClone = (value: unknown) =>
    v8.deserialize(v8.serialize(value));
}

describe('DAG layout', () => {
  it('places every node, drops edges to unknown nodes and duplicates, and orders by dependency', () => {
    const layout = layoutDag({
      nodes: [
        { id: 'a', label: 'load' },
        { id: 'b', label: 'train', state: 'RUNNING' },
        { id: 'c', label: 'x'.repeat(80) }
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'b', to: 'ghost' },
        { from: 'c', to: 'c' }
      ]
    });
    expect(layout.nodes.map(n => n.id)).toEqual(['a', 'b', 'c']);
    expect(layout.edges.map(e => `${e.from}>${e.to}`)).toEqual(['a>b', 'b>c']);
    const y = Object.fromEntries(layout.nodes.map(n => [n.id, n.y]));
    expect(y.a).toBeLessThan(y.b);
    expect(y.b).toBeLessThan(y.c);
    expect(layout.nodes[1].state).toBe('RUNNING');
    // A long name is cut to the box and kept whole for the tooltip.
    expect(layout.nodes[2].shortLabel.endsWith('…')).toBe(true);
    expect(layout.nodes[2].label).toHaveLength(80);
    expect(layout.edges[0].points.length).toBeGreaterThanOrEqual(2);
    expect(layout.width).toBeGreaterThan(0);
  });

  it('lays out a wide graph of 200 tasks without overlaps', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, label: `task-${i}` }));
    const edges = nodes.slice(1).map((n, i) => ({ from: `t${Math.floor(i / 10)}`, to: n.id }));
    const layout = layoutDag({ nodes, edges });
    const boxes = layout.nodes;
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const apart =
          Math.abs(a.x - b.x) >= (a.width + b.width) / 2 ||
          Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
        expect(apart).toBe(true);
      }
    }
  });

  it('an empty or missing graph lays out as nothing', () => {
    expect(layoutDag(null).nodes).toEqual([]);
    expect(layoutDag({ nodes: [], edges: [] }).width).toBe(0);
  });
});
