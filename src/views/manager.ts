import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IRunFilter } from '../tokens';
import { IViewContext } from './context';
import { createPipelineView, PipelineViewContent } from './PipelineView';
import { createRunsView } from './RunsView';
import { createRunView } from './RunView';

/**
 * Opens the main-area views, one tab per pipeline, per run, and one Runs list: asking
 * again activates the tab that is already open.
 */
export class ViewManager {
  constructor(
    private readonly app: JupyterFrontEnd,
    context: Omit<IViewContext, 'openPipeline' | 'openRun' | 'openRuns'>
  ) {
    this.context = {
      ...context,
      openPipeline: (id, versionId) => this.openPipeline(id, versionId),
      openRun: id => this.openRun(id),
      openRuns: filter => this.openRuns(filter)
    };
  }

  readonly context: IViewContext;

  /** Every open view, for the layout restorer and other plugins. */
  readonly tracker = new WidgetTracker<MainAreaWidget>({ namespace: 'kfp-connect-views' });

  openPipeline(pipelineId: string, versionId?: string): MainAreaWidget<PipelineViewContent> {
    const existing = this._find(`jp-KFPConnect-pipeline-${pipelineId}`) as
      | MainAreaWidget<PipelineViewContent>
      | undefined;
    if (existing) {
      existing.content.setVersion(versionId);
      this.app.shell.activateById(existing.id);
      return existing;
    }
    return this._add(createPipelineView(this.context, pipelineId, versionId));
  }

  openRun(runId: string): MainAreaWidget {
    const existing = this._find(`jp-KFPConnect-run-${runId}`);
    if (existing) {
      this.app.shell.activateById(existing.id);
      return existing;
    }
    return this._add(createRunView(this.context, runId));
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
    return this._add(createRunsView(this.context));
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

  private _add<T extends Widget>(widget: MainAreaWidget<T>): MainAreaWidget<T> {
    this._open.set(widget.id, widget as unknown as MainAreaWidget);
    widget.disposed.connect(() => this._open.delete(widget.id));
    void this.tracker.add(widget as unknown as MainAreaWidget);
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(widget.id);
    return widget;
  }

  private readonly _open = new Map<string, MainAreaWidget>();
}
