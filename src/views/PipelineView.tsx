import { MainAreaWidget } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  HTMLSelect,
  listIcon,
  runIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { KfpUiLink } from '../components/KfpUiLink';
import { kfpUiLink } from '../kfpLinks';
import { Dag } from '../components/Dag';
import { formatTime, useSignal } from '../components/hooks';
import { ParameterForm, typeLabel } from '../components/ParameterForm';
import { ProblemView } from '../components/ProblemView';
import { kfpIcon } from '../icons';
import { defaultPair } from '../model/compare';
import { specCounts } from '../model/specSummary';
import { canonicalType, RunFormModel } from '../model/runForm';
import {
  IDag,
  IPipeline,
  IPipelineVersion,
  IProblem,
  ISpecSummary,
  IRunParameterSpec
} from '../tokens';
import { IViewContext } from './context';
import { VisibleReactWidget } from './widgets';

/** The graph of a version: the server's `dag`, or one built from the tasks' dependencies. */
export function specDag(summary: ISpecSummary | null): IDag | null {
  if (!summary) {
    return null;
  }
  const given = summary.dag as IDag | undefined;
  if (given && Array.isArray(given.nodes)) {
    return given;
  }
  const tasks = summary.tasks ?? [];
  return {
    nodes: tasks.map(t => ({ id: t.name, label: t.display_name || t.name, kind: t.kind })),
    edges: tasks.flatMap(t => t.dependencies.map(d => ({ from: d, to: t.name })))
  };
}

function displayValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The main-area content of one pipeline; the version shown can change (sidebar, command). */
export class PipelineViewContent extends VisibleReactWidget {
  constructor(
    readonly context: IViewContext,
    readonly pipelineId: string,
    versionId?: string
  ) {
    super();
    this.addClass('jp-KFPConnect-view');
    this.addClass('jp-KFPConnect-pipelineView');
    this._versionId = versionId ?? '';
  }

  get versionId(): string {
    return this._versionId;
  }

  /** Emits when the version shown changes (the layout restorer saves it). */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Show this version (the one just opened from the sidebar). */
  setVersion(versionId: string | undefined): void {
    if (versionId && versionId !== this._versionId) {
      this._versionId = versionId;
      this._request++;
      this.update();
    }
  }

  /** Open the Create run form (for tests and the command). */
  openForm(): void {
    this._formRequest++;
    this.update();
  }

  protected onVisibility(): void {
    // Nothing polls here: a pipeline's versions change only when someone uploads.
  }

  protected render(): JSX.Element {
    return (
      <PipelineViewBody
        content={this}
        requestedVersion={this._versionId}
        request={this._request}
        formRequest={this._formRequest}
        onTitle={(label: string) => {
          if (this.parent instanceof MainAreaWidget) {
            this.parent.title.label = label;
          }
        }}
        onVersion={(id: string) => {
          if (id !== this._versionId) {
            this._versionId = id;
            this._stateChanged.emit();
          }
        }}
      />
    );
  }

  private _versionId: string;
  private _stateChanged = new Signal<this, void>(this);
  private _request = 0;
  private _formRequest = 0;
}

/** A pipeline in the main area: versions, task graph, parameters and Create run. */
export function createPipelineView(
  context: IViewContext,
  pipelineId: string,
  versionId?: string
): MainAreaWidget<PipelineViewContent> {
  const content = new PipelineViewContent(context, pipelineId, versionId);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-KFPConnect-pipeline-${pipelineId}`;
  widget.title.label = context.trans.__('Pipeline');
  widget.title.icon = kfpIcon;
  widget.title.closable = true;
  return widget;
}

function PipelineViewBody(props: {
  content: PipelineViewContent;
  requestedVersion: string;
  request: number;
  formRequest: number;
  onTitle: (label: string) => void;
  onVersion: (id: string) => void;
}): JSX.Element {
  const { context, pipelineId } = props.content;
  const { service, trans, connection } = context;
  useSignal(connection.changed);
  const [pipeline, setPipeline] = React.useState<IPipeline | null>(null);
  const [versions, setVersions] = React.useState<IPipelineVersion[]>([]);
  const [versionId, setVersionId] = React.useState(props.requestedVersion);
  const [summary, setSummary] = React.useState<ISpecSummary | null>(null);
  const [summaryDone, setSummaryDone] = React.useState(false);
  const [problem, setProblem] = React.useState<IProblem | null>(null);
  const [form, setForm] = React.useState<RunFormModel | null>(null);
  const [compareWith, setCompareWith] = React.useState('');

  const fail = (error: unknown) => setProblem(connection.handleError(error));

  React.useEffect(() => {
    let live = true;
    service
      .getPipeline(pipelineId)
      .then(data => {
        if (!live) {
          return;
        }
        const sorted = data.versions; // newest first (KFPService.getPipeline)
        setPipeline(data.pipeline);
        setVersions(sorted);
        props.onTitle(data.pipeline.display_name || data.pipeline.name || pipelineId);
        setVersionId(current =>
          sorted.some(v => v.id === current) ? current : (sorted[0]?.id ?? '')
        );
      })
      .catch(error => live && fail(error));
    return () => {
      live = false;
    };
  }, [pipelineId]);

  React.useEffect(() => {
    if (props.requestedVersion) {
      setVersionId(props.requestedVersion);
    }
  }, [props.request]);

  React.useEffect(() => {
    let live = true;
    setSummary(null);
    setSummaryDone(false);
    setForm(null);
    props.onVersion(versionId);
    if (!versionId) {
      return;
    }
    service
      .getVersion(pipelineId, versionId)
      .then(data => live && setSummary(data.summary))
      .catch(error => live && fail(error))
      .finally(() => live && setSummaryDone(true));
    return () => {
      live = false;
    };
  }, [pipelineId, versionId]);

  const name = pipeline?.display_name || pipeline?.name || pipelineId;
  const version = versions.find(v => v.id === versionId) ?? null;
  // "Compare with": by default the version uploaded just before the one shown.
  const pair = defaultPair(versions, versionId);
  const other =
    compareWith && compareWith !== versionId && versions.some(v => v.id === compareWith)
      ? compareWith
      : pair
        ? pair.left === versionId
          ? pair.right
          : pair.left
        : '';
  const parameters: IRunParameterSpec[] = (summary?.parameters ?? []) as IRunParameterSpec[];
  const counts = summary ? specCounts(summary) : null;

  const openForm = () => {
    const model = new RunFormModel(
      service,
      { pipelineId, versionId: versionId || undefined, pipelineName: name },
      parameters,
      trans
    );
    void model.loadExperiments();
    setForm(model);
  };

  React.useEffect(() => {
    if (props.formRequest > 0 && summary) {
      openForm();
    }
  }, [props.formRequest, summary]);

  const link =
    (version && (version.ui_url || kfpUiLink(connection.status, pipelineId, version.id))) ||
    pipeline?.ui_url ||
    kfpUiLink(connection.status, pipelineId);

  return (
    <div className="jp-KFPConnect-viewBody">
      <div className="jp-KFPConnect-viewHeader">
        <h1 className="jp-KFPConnect-viewTitle">{name}</h1>
        {versions.length > 0 && (
          <HTMLSelect
            className="jp-KFPConnect-viewVersion"
            aria-label={trans.__('Version')}
            value={versionId}
            onChange={e => setVersionId(e.target.value)}
            options={versions.map(v => ({
              value: v.id,
              label: `${v.display_name || v.name || v.id} · ${formatTime(v.created_at)}`
            }))}
          />
        )}
        <div className="jp-KFPConnect-viewActions">
          <Button
            className="jp-mod-styled jp-mod-accept"
            disabled={!summary || form !== null}
            onClick={openForm}
          >
            <runIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
            {trans.__('Create run')}
          </Button>
          {versions.length > 1 && (
            <span className="jp-KFPConnect-compareWith">
              <span className="jp-KFPConnect-muted" aria-hidden="true">
                {trans.__('Compare with')}
              </span>
              <HTMLSelect
                className="jp-KFPConnect-compareWithSelect"
                aria-label={trans.__('Compare with version')}
                title={trans.__('Compare with version')}
                value={other}
                onChange={e => setCompareWith(e.target.value)}
                options={versions
                  .filter(v => v.id !== versionId)
                  .map(v => ({
                    value: v.id,
                    label: `${v.display_name || v.name || v.id} · ${formatTime(v.created_at)}`
                  }))}
              />
              <Button
                className="jp-mod-styled jp-KFPConnect-compare"
                disabled={!other}
                onClick={() => {
                  // The older of the two on the left, as a diff reads.
                  const at = (id: string) => versions.findIndex(v => v.id === id);
                  const [left, right] =
                    at(other) > at(versionId) ? [other, versionId] : [versionId, other];
                  context.openCompare(pipelineId, left, right);
                }}
              >
                {trans.__('Compare')}
              </Button>
            </span>
          )}
          <Button
            className="jp-mod-styled"
            onClick={() => context.openRuns({ pipeline_id: pipelineId })}
          >
            <listIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
            {trans.__('Runs')}
          </Button>
          {link && (
            <KfpUiLink
              href={link}
              label={trans.__('Open in KFP UI')}
              status={connection.status}
              trans={trans}
              inline
            />
          )}
        </div>
      </div>
      {problem && (
        <ProblemView problem={problem} trans={trans} onDismiss={() => setProblem(null)} />
      )}
      {(pipeline?.description || version?.description) && (
        <p className="jp-KFPConnect-description">
          {version?.description || pipeline?.description}
        </p>
      )}
      <div className="jp-KFPConnect-split">
        <section className="jp-KFPConnect-graphPane" aria-label={trans.__('Task graph')}>
          {summary ? (
            <>
              {counts?.tasksCut && (
                <div className="jp-KFPConnect-muted">
                  {trans.__(
                    'This pipeline is large: the graph shows its first %1 of %2 tasks.',
                    summary.tasks.length,
                    counts.tasks
                  )}
                </div>
              )}
              <Dag dag={specDag(summary)} trans={trans} />
            </>
          ) : (
            <div className="jp-KFPConnect-muted">
              {summaryDone
                ? trans.__('No pipeline spec to draw for this version.')
                : trans.__('Loading…')}
            </div>
          )}
        </section>
        <section className="jp-KFPConnect-sidePane">
          {form ? (
            <>
              <h2 className="jp-KFPConnect-paneTitle">{trans.__('Create run')}</h2>
              <ParameterForm
                form={form}
                trans={trans}
                onCancel={() => setForm(null)}
                onCreated={run => {
                  context.watcher.watch(run);
                  void context.runs.refresh();
                  setForm(null);
                  context.openRun(run.run_id);
                }}
              />
            </>
          ) : (
            <ParametersTable parameters={parameters} done={summaryDone} trans={trans} />
          )}
        </section>
      </div>
    </div>
  );
}

function ParametersTable(props: {
  parameters: IRunParameterSpec[];
  done: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { parameters, trans } = props;
  return (
    <>
      <h2 className="jp-KFPConnect-paneTitle">{trans.__('Parameters')}</h2>
      {!props.done ? (
        <div className="jp-KFPConnect-muted">{trans.__('Loading…')}</div>
      ) : parameters.length === 0 ? (
        <div className="jp-KFPConnect-muted">{trans.__('No parameters.')}</div>
      ) : (
        <table className="jp-KFPConnect-params jp-KFPConnect-table">
          <thead>
            <tr>
              <th scope="col">{trans.__('Name')}</th>
              <th scope="col">{trans.__('Type')}</th>
              <th scope="col">{trans.__('Default')}</th>
            </tr>
          </thead>
          <tbody>
            {parameters.map(p => (
              <tr key={p.name} title={p.description || undefined}>
                <td className="jp-KFPConnect-mono">{p.name}</td>
                <td>{typeLabel(canonicalType(p.type), trans)}</td>
                <td className="jp-KFPConnect-mono">
                  {p.has_default === false && !p.optional
                    ? trans.__('(required)')
                    : displayValue(p.default)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
