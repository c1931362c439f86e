import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { select } from 'd3-selection';
import { zoom, ZoomBehavior, zoomIdentity } from 'd3-zoom';
import * as React from 'react';

import { IDagLayout, layoutDag } from '../model/dagLayout';
import type { IDag } from '../tokens';
import { stateClass, stateGlyph, stateLabel } from './RunState';

/** Smallest scale the first view uses: below it labels stop being readable (pan instead). */
const MIN_FIT_SCALE = 0.6;

/**
 * A task graph as SVG: dagre places it (model/dagLayout), d3-zoom pans and zooms it
 * (drag, wheel, pinch, or the buttons). A big graph opens at a readable scale, top
 * centred, rather than shrunk to fit.
 */
export function Dag(props: {
  dag: IDag | null | undefined;
  trans: TranslationBundle;
  /** Show each node's state (a run's graph) under its name. */
  withStates?: boolean;
  /** Called when a node is clicked (the run view selects the task). */
  onSelect?: (id: string) => void;
  selected?: string | null;
}): JSX.Element {
  const { dag, trans, withStates } = props;
  const layout: IDagLayout = React.useMemo(() => layoutDag(dag), [dag]);
  const svgRef = React.useRef<SVGSVGElement>(null);
  const groupRef = React.useRef<SVGGElement>(null);
  const zoomRef = React.useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);
  // One arrow marker per graph: several graphs live in the DOM (one per tab), and a marker
  // found in a hidden tab would not draw.
  const markerId = `jp-KFPConnect-arrow-${React.useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const structure = React.useMemo(
    () =>
      JSON.stringify([
        (dag?.nodes ?? []).map(n => n.id),
        (dag?.edges ?? []).map(e => [e.from, e.to])
      ]),
    [dag]
  );

  const fit = React.useCallback(() => {
    const svg = svgRef.current;
    const behaviour = zoomRef.current;
    if (!svg || !behaviour || layout.width === 0) {
      return;
    }
    const box = svg.getBoundingClientRect();
    const width = box.width || 600;
    const height = box.height || 400;
    const scale = Math.min(
      1,
      Math.max(MIN_FIT_SCALE, Math.min(width / layout.width, height / layout.height))
    );
    const x = (width - layout.width * scale) / 2;
    const y = layout.height * scale <= height ? (height - layout.height * scale) / 2 : 0;
    select(svg).call(behaviour.transform, zoomIdentity.translate(x, y).scale(scale));
  }, [layout]);

  React.useEffect(() => {
    const svg = svgRef.current;
    if (!svg) {
      return;
    }
    const behaviour = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.1, 3])
      .on('zoom', event => {
        groupRef.current?.setAttribute('transform', event.transform.toString());
      });
    zoomRef.current = behaviour;
    select(svg).call(behaviour).on('dblclick.zoom', null);
    return () => {
      select(svg).on('.zoom', null);
    };
  }, []);

  // A new graph (not a new state of the same one) is fitted again.
  React.useEffect(() => {
    fit();
  }, [structure]);

  const zoomBy = (factor: number) => {
    if (svgRef.current && zoomRef.current) {
      select(svgRef.current).call(zoomRef.current.scaleBy, factor);
    }
  };

  if (layout.nodes.length === 0) {
    return (
      <div className="jp-KFPConnect-muted jp-KFPConnect-dagEmpty">
        {trans.__('No task graph for this pipeline.')}
      </div>
    );
  }

  return (
    <div className="jp-KFPConnect-dag">
      <div className="jp-KFPConnect-dagTools" role="toolbar" aria-label={trans.__('Graph')}>
        <Button
          minimal
          small
          aria-label={trans.__('Zoom in')}
          title={trans.__('Zoom in')}
          onClick={() => zoomBy(1.25)}
        >
          +
        </Button>
        <Button
          minimal
          small
          aria-label={trans.__('Zoom out')}
          title={trans.__('Zoom out')}
          onClick={() => zoomBy(0.8)}
        >
          −
        </Button>
        <Button
          minimal
          small
          aria-label={trans.__('Fit the graph')}
          title={trans.__('Fit the graph')}
          onClick={fit}
        >
          {trans.__('Fit')}
        </Button>
      </div>
      <svg
        ref={svgRef}
        className="jp-KFPConnect-dagCanvas"
        role="img"
        aria-label={trans._n(
          'Task graph with %1 task',
          'Task graph with %1 tasks',
          layout.nodes.length
        )}
      >
        <defs>
          <marker
            id={markerId}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" className="jp-KFPConnect-dagArrow" />
          </marker>
        </defs>
        <g ref={groupRef}>
          {layout.edges.map(edge => (
            <path
              key={`${edge.from}->${edge.to}`}
              className="jp-KFPConnect-dagEdge"
              d={edge.points
                .map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`)
                .join(' ')}
              markerEnd={`url(#${markerId})`}
            />
          ))}
          {layout.nodes.map(node => {
            const left = node.x - node.width / 2;
            const top = node.y - node.height / 2;
            return (
              <g
                key={node.id}
                className={`jp-KFPConnect-dagNode ${withStates ? stateClass(node.state) : ''} ${
                  props.selected === node.id ? 'jp-mod-selected' : ''
                }`}
                data-node={node.id}
                data-state={withStates ? node.state || 'unknown' : undefined}
                onClick={() => props.onSelect?.(node.id)}
              >
                <title>
                  {withStates
                    ? `${node.label}: ${stateLabel(node.state, trans)}`
                    : node.label}
                </title>
                <rect x={left} y={top} width={node.width} height={node.height} rx={6} />
                {withStates && (
                  <text
                    className="jp-KFPConnect-dagGlyph"
                    x={left + 14}
                    y={node.y}
                    dominantBaseline="central"
                    textAnchor="middle"
                  >
                    {stateGlyph(node.state)}
                  </text>
                )}
                <text
                  className="jp-KFPConnect-dagLabel"
                  x={withStates ? left + 26 : node.x}
                  y={withStates ? node.y - 7 : node.y}
                  dominantBaseline="central"
                  textAnchor={withStates ? 'start' : 'middle'}
                >
                  {node.shortLabel}
                </text>
                {withStates && (
                  <text
                    className="jp-KFPConnect-dagStateText"
                    x={left + 26}
                    y={node.y + 9}
                    dominantBaseline="central"
                  >
                    {stateLabel(node.state, trans)}
                  </text>
                )}
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}
