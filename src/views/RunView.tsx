import { Dialog, MainAreaWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Dag } from '../components/Dag';
import { KfpUiLink } from '../components/KfpUiLink';
import { formatTime, useSignal } from '../components/hooks';
import { ProblemView } from '../components/ProblemView';
import { RunStateBadge, stateLabel } from '../components/RunState';
import { kfpIcon } from '../icons';
import { RunModel } from '../model/run';
import { formatDuration, isFinal, runDuration } from '../model/runState';
import { IRunDetail, RunAction } from '../tokens';
import { IViewContext } from './context';
import { VisibleReactWidget } from './widgets';

/** Ask before an action; Cancel has the focus (Enter does nothing harmful). */
export async function confirmAction(
  trans: TranslationBundle,
  title: string,
  body: string,
  label: string,
  warn: boolean
): Promise<boolean> {
  const buttons = [
    Dialog.cancelButton({ label: trans.__('Cancel') }),
    warn ? Dialog.warnButton({ label }) : Dialog.okButton({ label })
  ];
  const result = await showDialog({ title, body, buttons, defaultButton: 0 });
  return result.button.accept;
}

/** The main-area content of one run; polls only while on screen and not ended. */
export class RunViewContent extends VisibleReactWidget {
  constructor(
    readonly context: IViewContext,
    readonly runId: string
  ) {
    super();
    this.addClass('jp-KFPConnect-view');
    this.addClass('jp-KFPConnect-runView');
    this.model = new RunModel(context.service, runId, {
      onError: error => context.connection.handleError(error),
      onRun: run => {
        context.runs.update(run);
        context.watcher.observe(run);
      },
      onDeleted: id => {
        context.runs.remove(id);
        context.watcher.forget(id);
      }
    });
    void this.model.load();
  }

  readonly model: RunModel;

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  protected onVisibility(visible: boolean): void {
    this.model.setVisible(visible);
  }

  protected render(): JSX.Element {
    return (
      <RunViewBody
        content={this}
        onTitle={label => {
          if (this.parent instanceof MainAreaWidget) {
            this.parent.title.label = label;
          }
        }}
      />
    );
  }
}

export function createRunView(
  context: IViewContext,
  runId: string
): MainAreaWidget<RunViewContent> {
  const content = new RunViewContent(context, runId);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-KFPConnect-run-${runId}`;
  widget.title.label = context.trans.__('Run');
  widget.title.icon = kfpIcon;
  widget.title.closable = true;
  return widget;
}

function Fact(props: { label: string; children: React.ReactNode }): JSX.Element {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

function RunViewBody(props: {
  content: RunViewContent;
  onTitle: (label: string) => void;
}): JSX.Element {
  const { model, context } = props.content;
  const { trans } = context;
  useSignal(model.changed);
  const run = model.run;
  const [selected, setSelected] = React.useState<string | null>(null);

  React.useEffect(() => {
    if (run) {
      props.onTitle(run.display_name || run.run_id);
    }
  }, [run?.display_name]);

  // The running duration ticks on screen; no call to KFP.
  const [, setNow] = React.useState(0);
  React.useEffect(() => {
    if (!run || isFinal(run.state)) {
      return;
    }
    const timer = setInterval(() => setNow(n => n + 1), 1000);
    return () => clearInterval(timer);
  }, [run?.state]);

  if (model.deleted) {
    return (
      <div className="jp-KFPConnect-viewBody">
        <div className="jp-KFPConnect-muted">{trans.__('This run was deleted.')}</div>
      </div>
    );
  }
  if (!run) {
    return (
      <div className="jp-KFPConnect-viewBody">
        {model.problem ? (
          <ProblemView problem={model.problem} trans={trans} />
        ) : (
          <div className="jp-KFPConnect-muted">{trans.__('Loading…')}</div>
        )}
      </div>
    );
  }

  const act = async (action: RunAction | 'delete') => {
    const name = run.display_name || run.run_id;
    const ask: Record<string, [string, string, string, boolean]> = {
      terminate: [
        trans.__('Terminate run'),
        trans.__('Stop “%1”? Its running tasks are stopped.', name),
        trans.__('Terminate'),
        true
      ],
      retry: [
        trans.__('Retry run'),
        trans.__('Retry the failed tasks of “%1”?', name),
        trans.__('Retry'),
        false
      ],
      archive: [
        trans.__('Archive run'),
        trans.__('Archive “%1”? It leaves the runs list; you can restore it.', name),
        trans.__('Archive'),
        false
      ],
      unarchive: [
        trans.__('Restore run'),
        trans.__('Restore “%1” from the archive?', name),
        trans.__('Restore'),
        false
      ],
      delete: [
        trans.__('Delete run'),
        trans.__('Delete “%1”? This cannot be undone.', name),
        trans.__('Delete'),
        true
      ]
    };
    const [title, body, label, warn] = ask[action];
    if (!(await confirmAction(trans, title, body, label, warn))) {
      return;
    }
    if (action === 'delete') {
      await model.delete();
    } else {
      await model.act(action);
      if (action === 'archive') {
        context.runs.remove(run.run_id);
      }
    }
  };

  const actions = run.actions ?? {};
  const buttons: [RunAction | 'delete', string, boolean][] = [
    ['terminate', trans.__('Terminate'), true],
    ['retry', trans.__('Retry'), false],
    ['archive', trans.__('Archive'), false],
    ['unarchive', trans.__('Restore'), false],
    ['delete', trans.__('Delete'), true]
  ];
  const task = run.tasks.find(t => t.task_id === selected || t.name === selected);

  return (
    <div className="jp-KFPConnect-viewBody" aria-busy={model.loading}>
      <div className="jp-KFPConnect-viewHeader">
        <h1 className="jp-KFPConnect-viewTitle">{run.display_name || run.run_id}</h1>
        <RunStateBadge state={run.state} trans={trans} />
        <div className="jp-KFPConnect-viewActions">
          {buttons
            .filter(([action]) => (actions as any)[action])
            .map(([action, label, warn]) => (
              <Button
                key={action}
                className={`jp-mod-styled ${warn ? 'jp-mod-warn jp-KFPConnect-danger' : ''}`}
                disabled={model.busy !== null}
                onClick={() => void act(action)}
              >
                {model.busy === action ? trans.__('%1…', label) : label}
              </Button>
            ))}
          {run.ui_url && (
            <KfpUiLink
              href={run.ui_url}
              label={trans.__('Open in KFP UI')}
              status={context.connection.status}
              trans={trans}
              inline
            />
          )}
        </div>
      </div>
      {model.problem && (
        <ProblemView
          problem={model.problem}
          trans={trans}
          onDismiss={() => model.dismissProblem()}
        />
      )}
      {run.error_message && (
        <div className="jp-KFPConnect-runError" role="alert">
          <strong>{trans.__('Error:')}</strong> {run.error_message}
        </div>
      )}
      <RunFacts run={run} context={context} />
      <div className="jp-KFPConnect-split">
        <section className="jp-KFPConnect-graphPane" aria-label={trans.__('Task graph')}>
          <Dag
            dag={run.dag}
            trans={trans}
            withStates
            selected={selected}
            onSelect={setSelected}
          />
        </section>
        <section className="jp-KFPConnect-sidePane">
          {task && (
            <div className="jp-KFPConnect-taskDetail">
              <h2 className="jp-KFPConnect-paneTitle">{task.display_name || task.name}</h2>
              <RunStateBadge state={task.state} trans={trans} />
              {task.error_message && (
                <div className="jp-KFPConnect-runError">{task.error_message}</div>
              )}
            </div>
          )}
          <h2 className="jp-KFPConnect-paneTitle">{trans.__('Parameters')}</h2>
          {Object.keys(run.parameters ?? {}).length === 0 ? (
            <div className="jp-KFPConnect-muted">{trans.__('No parameters.')}</div>
          ) : (
            <table className="jp-KFPConnect-table jp-KFPConnect-params">
              <tbody>
                {Object.entries(run.parameters).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row" className="jp-KFPConnect-mono">
                      {name}
                    </th>
                    <td className="jp-KFPConnect-mono">
                      {typeof value === 'string' ? value : JSON.stringify(value)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2 className="jp-KFPConnect-paneTitle">
            {trans._n('%1 task', '%1 tasks', run.tasks.length)}
          </h2>
          <table className="jp-KFPConnect-table jp-KFPConnect-tasksTable">
            <thead>
              <tr>
                <th scope="col">{trans.__('Task')}</th>
                <th scope="col">{trans.__('State')}</th>
                <th scope="col">{trans.__('Duration')}</th>
              </tr>
            </thead>
            <tbody>
              {run.tasks
                .filter(t => !t.parent_task_id)
                .map(t => (
                  <tr
                    key={t.task_id || t.name}
                    data-task={t.name}
                    className={selected === (t.task_id || t.name) ? 'jp-mod-selected' : ''}
                  >
                    <td>
                      <button
                        type="button"
                        className="jp-KFPConnect-linkButton"
                        onClick={() => setSelected(t.task_id || t.name)}
                      >
                        {t.display_name || t.name}
                      </button>
                      {t.error_message && (
                        <div className="jp-KFPConnect-fieldError">{t.error_message}</div>
                      )}
                    </td>
                    <td>
                      <RunStateBadge state={t.state} trans={trans} />
                    </td>
                    <td>
                      {formatDuration(
                        runDuration({
                          created_at: t.start_time,
                          finished_at: t.end_time,
                          state: t.end_time ? 'SUCCEEDED' : t.state
                        })
                      )}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}

function RunFacts(props: { run: IRunDetail; context: IViewContext }): JSX.Element {
  const { run, context } = props;
  const { trans } = context;
  return (
    <dl className="jp-KFPConnect-facts jp-KFPConnect-runFacts">
      <Fact label={trans.__('State')}>{stateLabel(run.state, trans)}</Fact>
      <Fact label={trans.__('Pipeline')}>
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
          trans.__('(none)')
        )}
      </Fact>
      <Fact label={trans.__('Experiment')}>{run.experiment_name || run.experiment_id || ''}</Fact>
      <Fact label={trans.__('Created')}>{formatTime(run.created_at ?? undefined)}</Fact>
      <Fact label={trans.__('Started')}>{formatTime(run.scheduled_at ?? undefined)}</Fact>
      <Fact label={trans.__('Finished')}>
        {isFinal(run.state) ? formatTime(run.finished_at ?? undefined) : '–'}
      </Fact>
      <Fact label={trans.__('Duration')}>{formatDuration(runDuration(run))}</Fact>
      <Fact label={trans.__('Run ID')}>
        <span className="jp-KFPConnect-mono">{run.run_id}</span>
      </Fact>
    </dl>
  );
}
