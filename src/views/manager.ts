import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IRunFilter } from '../tokens';
import { IViewContext } from './context';
import { CompareViewContent, createCompareView } from './CompareView';
import { createPipelineView, PipelineViewContent } from './PipelineView';
import { createRunsView, RunsViewContent } from './RunsView';
import { createRunView, RunViewContent } from './RunView';

/**
 * Opens the main-area views, one tab per pipeline, per run, and one Runs list: asking
 * again activates the tab that is already open.
 */
export class ViewManager {
  constructor(
    private readonly app: JupyterFrontEnd,
    context: Omit<IViewContext, 'openPipeline' | 'openRun' | 'openRuns' | 'openCompare'>
  ) {
    this.context = {
      ...context,
      openPipeline: (id, versionId) => this.openPipeline(id, versionId),
      openRun: id => this.openRun(id),
      openRuns: filter => this.openRuns(filter),
      openCompare: (id, left, right) => this.openCompare(id, left, right)
    };
  }

  readonly context: IViewContext;

  /**
   * One tracker per kind of view, so the layout restorer reopens each with its own
   * command and ids after a page reload (see the plugin's wiring).
   */
  readonly trackers = {
    pipeline: new WidgetTracker<MainAreaWidget<PipelineViewContent>>({
      namespace: 'kfp-connect-pipeline'
    }),
    run: new WidgetTracker<MainAreaWidget<RunViewContent>>({ namespace: 'kfp-connect-run' }),
    runs: new WidgetTracker<MainAreaWidget<RunsViewContent>>({
      namespace: 'kfp-connect-runs'
    }),
    compare: new WidgetTracker<MainAreaWidget<CompareViewContent>>({
      namespace: 'kfp-connect-compare'
    })
  };

  openPipeline(pipelineId: string, versionId?: string): MainAreaWidget<PipelineViewContent> {
    const existing = this._find(`jp-KFPConnect-pipeline-${pipelineId}`) as
      | MainAreaWidget<PipelineViewContent>
      | undefined;
    if (existing) {
      existing.content.setVersion(versionId);
      this.app.shell.activateById(existing.id);
      return existing;
    }
    const widget = this._add(
      createPipelineView(this.context, pipelineId, versionId),
      this.trackers.pipeline
    );
    // The version shown is part of what a reload restores.
    widget.content.stateChanged.connect(() => void this.trackers.pipeline.save(widget));
    return widget;
  }

  /** Two versions of a pipeline side by side; one tab per pipeline, re-pointed when asked again. */
  openCompare(
    pipelineId: string,
    left = '',
    right = ''
  ): MainAreaWidget<CompareViewContent> {
    const existing = this._find(`jp-KFPConnect-compare-${pipelineId}`) as
      | MainAreaWidget<CompareViewContent>
      | undefined;
    if (existing) {
      existing.content.setVersions(left, right);
      this.app.shell.activateById(existing.id);
      return existing;
    }
    const widget = this._add(
      createCompareView(this.context, pipelineId, left, right),
      this.trackers.compare
    );
    widget.content.stateChanged.connect(() => void this.trackers.compare.save(widget));
    return widget;
  }

  openRun(runId: string): MainAreaWidget {
    const existing = this._find(`jp-KFPConnect-run-${runId}`);
    if (existing) {
      this.app.shell.activateById(existing.id);
      return existing;
    }
    return this._add(createRunView(this.context, runId), this.trackers.run);
  }

  /** The Runs list, filtered when `filter` is given (e.g. one pipeline's runs). */
  openRuns(filter?: Partial<IRunFilter>, refresh = false): MainAreaWidget {
    const { runs } = this.context;
    if (refresh && !filter) {
      void runs.refresh();
    } else if (filter) {
      void runs.setFilter({
        state: '',
        pipeline_id: '',
        pipeline_version_id: '',
        experiment_id: '',
        ...filter
      });
    } else if (!runs.loaded && !runs.loading) {
      void runs.refresh();
    }
    const existing = this._find('jp-KFPConnect-runs');
    if (existing) {
      this.app.shell.activateById(existing.id);
      return existing;
    }
    return this._add(createRunsView(this.context), this.trackers.runs);
  }

  /** Close every view (signed out, or another namespace: their data is not the user's now). */
  closeAll(): void {
    for (const widget of [...this._open.values()]) {
      widget.close();
    }
  }

  private _find(id: string): MainAreaWidget | undefined {
    return this._open.get(id);
  }

  private _add<T extends Widget>(
    widget: MainAreaWidget<T>,
    tracker: WidgetTracker<MainAreaWidget<T>>
  ): MainAreaWidget<T> {
    this._open.set(widget.id, widget as unknown as MainAreaWidget);
    widget.disposed.connect(() => this._open.delete(widget.id));
    void tracker.add(widget);
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(widget.id);
    return widget;
  }

  private readonly _open = new Map<string, MainAreaWidget>();
}
