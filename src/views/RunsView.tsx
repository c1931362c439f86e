import { MainAreaWidget } from '@jupyterlab/apputils';
import { Button, HTMLSelect, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatTime, useSignal } from '../components/hooks';
import { ProblemView } from '../components/ProblemView';
import { RunStateBadge, stateLabel } from '../components/RunState';
import { kfpIcon } from '../icons';
import { formatDuration, RUN_STATES, runDuration } from '../model/runState';
import { IExperiment, IPipeline } from '../tokens';
import { IViewContext } from './context';
import { VisibleReactWidget } from './widgets';

/**
 * The namespace's runs, in the main area: a table needs the width (state, pipeline and
 * version, experiment, start, duration) that the 250 px sidebar does not have, and a
 * main-area tab can be put beside a notebook. Live only while on screen.
 */
export class RunsViewContent extends VisibleReactWidget {
  constructor(readonly context: IViewContext) {
    super();
    this.addClass('jp-KFPConnect-view');
    this.addClass('jp-KFPConnect-runsView');
  }

  protected onVisibility(visible: boolean): void {
    this.context.runs.setVisible(visible);
  }

  protected render(): JSX.Element {
    return <RunsViewBody context={this.context} />;
  }
}

export function createRunsView(context: IViewContext): MainAreaWidget<RunsViewContent> {
  const content = new RunsViewContent(context);
  const widget = new MainAreaWidget({ content });
  widget.id = 'jp-KFPConnect-runs';
  widget.title.label = context.trans.__('KFP Runs');
  widget.title.icon = kfpIcon;
  widget.title.closable = true;
  return widget;
}

const SORTS = ['created_at desc', 'created_at', 'display_name', 'display_name desc'];

function RunsViewBody(props: { context: IViewContext }): JSX.Element {
  const { context } = props;
  const { runs, trans, service, connection } = context;
  useSignal(runs.changed);
  useSignal(connection.contextChanged);
  const [pipelines, setPipelines] = React.useState<IPipeline[]>([]);
  const [experiments, setExperiments] = React.useState<IExperiment[]>([]);
  const namespace = connection.status?.namespace ?? '';

  // The filters' choices: the namespace's pipelines (and shared ones) and experiments.
  React.useEffect(() => {
    let live = true;
    if (!connection.connected) {
      return;
    }
    Promise.all([
      service.listPipelines({ scope: 'private', page_size: 200 }).catch(() => null),
      service.listPipelines({ scope: 'shared', page_size: 200 }).catch(() => null),
      service.listExperiments({ page_size: 200 }).catch(() => null)
    ]).then(([own, shared, exps]) => {
      if (!live) {
        return;
      }
      setPipelines([...(own?.pipelines ?? []), ...(shared?.pipelines ?? [])]);
      setExperiments(exps?.experiments ?? []);
    });
    return () => {
      live = false;
    };
  }, [namespace, connection.connected]);

  const unfinished = runs.hasUnfinished;
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    if (!unfinished) {
      return;
    }
    const timer = setInterval(() => setTick(n => n + 1), 1000);
    return () => clearInterval(timer);
  }, [unfinished]);

  const filter = runs.filter;
  const sortLabels: Record<string, string> = {
    'created_at desc': trans.__('Newest first'),
    created_at: trans.__('Oldest first'),
    display_name: trans.__('Name A–Z'),
    'display_name desc': trans.__('Name Z–A')
  };
  const pipelineKnown = !filter.pipeline_id || pipelines.some(p => p.id === filter.pipeline_id);

  return (
    <div className="jp-KFPConnect-viewBody">
      <div className="jp-KFPConnect-viewHeader">
        <h1 className="jp-KFPConnect-viewTitle">
          {trans.__('Runs in %1', namespace || trans.__('the shared space'))}
        </h1>
        <div className="jp-KFPConnect-viewActions">
          <Button
            className="jp-mod-styled"
            onClick={() => void runs.refresh()}
            aria-label={trans.__('Refresh runs')}
          >
            <refreshIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
            {trans.__('Refresh')}
          </Button>
        </div>
      </div>
      <div className="jp-KFPConnect-filters" role="group" aria-label={trans.__('Filters')}>
        <label>
          {trans.__('State')}
          <HTMLSelect
            aria-label={trans.__('Filter by state')}
            value={filter.state ?? ''}
            onChange={e => void runs.setFilter({ state: e.target.value })}
          >
            <option value="">{trans.__('Any state')}</option>
            {RUN_STATES.map(s => (
              <option key={s} value={s}>
                {stateLabel(s, trans)}
              </option>
            ))}
          </HTMLSelect>
        </label>
        <label>
          {trans.__('Pipeline')}
          <HTMLSelect
            aria-label={trans.__('Filter by pipeline')}
            value={filter.pipeline_id ?? ''}
            onChange={e =>
              void runs.setFilter({ pipeline_id: e.target.value, pipeline_version_id: '' })
            }
          >
            <option value="">{trans.__('Any pipeline')}</option>
            {!pipelineKnown && <option value={filter.pipeline_id}>{filter.pipeline_id}</option>}
            {pipelines.map(p => (
              <option key={p.id} value={p.id}>
                {p.display_name || p.name || p.id}
              </option>
            ))}
          </HTMLSelect>
        </label>
        <label>
          {trans.__('Experiment')}
          <HTMLSelect
            aria-label={trans.__('Filter by experiment')}
            value={filter.experiment_id ?? ''}
            onChange={e => void runs.setFilter({ experiment_id: e.target.value })}
          >
            <option value="">{trans.__('Any experiment')}</option>
            {experiments.map(x => (
              <option key={x.experiment_id} value={x.experiment_id}>
                {x.display_name}
              </option>
            ))}
          </HTMLSelect>
        </label>
        <label>
          {trans.__('Sort')}
          <HTMLSelect
            aria-label={trans.__('Sort runs')}
            value={runs.sortBy}
            onChange={e => void runs.setSort(e.target.value)}
          >
            {SORTS.map(s => (
              <option key={s} value={s}>
                {sortLabels[s]}
              </option>
            ))}
          </HTMLSelect>
        </label>
      </div>
      {runs.error && (
        <ProblemView problem={runs.error} trans={trans} onDismiss={() => void runs.retry()} />
      )}
      <div className="jp-KFPConnect-tableScroll">
        <table className="jp-KFPConnect-table jp-KFPConnect-runsTable" aria-busy={runs.loading}>
          <thead>
            <tr>
              <th scope="col">{trans.__('Run')}</th>
              <th scope="col">{trans.__('State')}</th>
              <th scope="col">{trans.__('Pipeline · version')}</th>
              <th scope="col">{trans.__('Experiment')}</th>
              <th scope="col">{trans.__('Started')}</th>
              <th scope="col">{trans.__('Duration')}</th>
            </tr>
          </thead>
          <tbody>
            {runs.runs.map(run => (
              <tr key={run.run_id} className="jp-KFPConnect-runRow" data-run={run.run_id}>
                <td>
                  <button
                    type="button"
                    className="jp-KFPConnect-linkButton"
                    onClick={() => context.openRun(run.run_id)}
                  >
                    {run.display_name || run.run_id}
                  </button>
                </td>
                <td>
                  <RunStateBadge state={run.state} trans={trans} />
                </td>
                <td>
                  {run.pipeline_id ? (
                    <button
                      type="button"
                      className="jp-KFPConnect-linkButton"
                      onClick={() =>
                        context.openPipeline(run.pipeline_id!, run.pipeline_version_id ?? undefined)
                      }
                    >
                      {run.pipeline_name || run.pipeline_id}
                      {run.pipeline_version_name ? ` · ${run.pipeline_version_name}` : ''}
                    </button>
                  ) : (
                    ''
                  )}
                </td>
                <td>{run.experiment_name || ''}</td>
                <td>{formatTime(run.scheduled_at || run.created_at || undefined)}</td>
                <td>{formatDuration(runDuration(run))}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {runs.loaded && runs.runs.length === 0 && !runs.loading && (
          <div className="jp-KFPConnect-empty">{trans.__('No run matches these filters.')}</div>
        )}
        {runs.loading && <div className="jp-KFPConnect-muted">{trans.__('Loading…')}</div>}
      </div>
      <div className="jp-KFPConnect-tableFooter">
        <span className="jp-KFPConnect-runsCount">
          {runs.totalSize !== null
            ? trans.__('%1 of %2', runs.runs.length, runs.totalSize)
            : String(runs.runs.length)}
        </span>
        <span className="jp-KFPConnect-muted jp-KFPConnect-live">
          {runs.loaded &&
            (runs.hasUnfinished
              ? trans.__(
                  'Live: the runs still going are refreshed every %1 s.',
                  Math.round(runs.refreshInterval / 1000)
                )
              : trans.__('Every run shown has ended.'))}
        </span>
        {runs.hasMore && (
          <Button
            className="jp-mod-styled"
            disabled={runs.loading}
            onClick={() => void runs.loadMore()}
          >
            {trans.__('Load more')}
          </Button>
        )}
      </div>
    </div>
  );
}
