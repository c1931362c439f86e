import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { KFPService, setTranslator } from './api';
import { addCommands } from './commands';
import { ConnectionModel, PipelineListModel } from './model';
import { kernelsPlugin } from './kernels';
import { RunListModel } from './model/runList';
import { StartedRunsWatcher } from './model/startedRuns';
import { KFPPanel } from './panel';
import { applySettings, DEFAULT_SETTINGS } from './settings';
import {
  CommandIDs,
  IKFPConnect,
  IRun,
  PLUGIN_ID,
  TRANSLATION_DOMAIN
} from './tokens';
import { checkVersion } from './version';
import { ViewManager } from './views/manager';

/** Plugin wiring only: service, models, panel, commands, settings. */
const plugin: JupyterFrontEndPlugin<IKFPConnect> = {
  id: PLUGIN_ID,
  description: 'Kubeflow Pipelines in JupyterLab: sign in, browse and upload.',
  autoStart: true,
  provides: IKFPConnect,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    ISettingRegistry,
    IFileBrowserFactory,
    IEditorLanguageRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    fileBrowserFactory: IFileBrowserFactory | null,
    languages: IEditorLanguageRegistry | null
  ): IKFPConnect => {
    translator = translator ?? nullTranslator;
    setTranslator(translator);
    const trans = translator.load(TRANSLATION_DOMAIN);
    const versionCheck = checkVersion();
    versionCheck.then(check => {
      if (check.status !== 'ok') {
        console.warn('jupyter_kfp_connect version handshake:', check);
      }
    });

    const service = new KFPService();
    const connection = new ConnectionModel(service);
    const pipelines = new PipelineListModel(
      service,
      {
        scope: DEFAULT_SETTINGS.defaultScope,
        pageSize: DEFAULT_SETTINGS.pageSize,
        sortBy: DEFAULT_SETTINGS.defaultSort,
        searchDebounceMs: DEFAULT_SETTINGS.searchDebounceMs
      },
      error => connection.handleError(error)
    );
    // A run this person started ends: say so, with a way to it.
    const watcher = new StartedRunsWatcher(service, (run: IRun) => {
      const name = run.display_name || run.run_id;
      const message =
        run.state === 'SUCCEEDED'
          ? trans.__('Run “%1” succeeded.', name)
          : run.state === 'FAILED'
            ? trans.__('Run “%1” failed.', name)
            : trans.__('Run “%1” ended: %2.', name, String(run.state).toLowerCase());
      const notify =
        run.state === 'SUCCEEDED'
          ? Notification.success
          : run.state === 'FAILED'
            ? Notification.error
            : Notification.info;
      notify(message, {
        autoClose: false,
        actions: [
          {
            label: trans.__('Open run'),
            callback: () =>
              void app.commands.execute(CommandIDs.openRun, { runId: run.run_id })
          }
        ]
      });
    });
    const runs = new RunListModel(service, {
      pageSize: DEFAULT_SETTINGS.pageSize,
      onError: error => connection.handleError(error),
      onRuns: seen => seen.forEach(run => watcher.observe(run))
    });
    const views = new ViewManager(app, {
      service,
      connection,
      runs,
      watcher,
      trans,
      languages
    });
    let where = '';
    connection.contextChanged.connect(() => {
      const s = connection.status;
      const now = s && connection.connected ? `${s.host}|${s.namespace}|${s.username ?? ''}` : where;
      if (now !== where) {
        // Another namespace or person: nothing shown belongs to them. (An expired
        // session that comes back keeps the views, and so does the first status after a
        // page reload: the views the layout restorer reopened are this session's.)
        if (where !== '') {
          views.closeAll();
          runs.clear();
          watcher.forget();
        }
        where = now;
      }
      if (!connection.connected && s?.state === 'signed_out') {
        where = '';
        views.closeAll();
        runs.clear();
        watcher.forget();
      }
    });
    const panel = new KFPPanel({
      translator,
      versionCheck,
      service,
      connection,
      pipelines,
      openPipeline: (id, versionId) => views.openPipeline(id, versionId),
      openRuns: () => views.openRuns(),
      openCompare: (id, left, right) => views.openCompare(id, left, right)
    });
    app.shell.add(panel, 'left', { rank: 750 });
    restorer?.add(panel, 'jp-kfp-connect-panel');
    addCommands(app, panel, trans, palette, fileBrowserFactory, views);
    if (restorer) {
      restoreViews(restorer, views);
    }

    const settingsLoaded = applySettings(
      settingRegistry,
      connection,
      pipelines
    );
    // The first status after the settings, so the first list uses them.
    void settingsLoaded.then(() => connection.refreshStatus());

    return { versionCheck, connection, pipelines };
  }
};

/**
 * After a page reload the layout restorer reopens the main-area views through their
 * commands, with the ids each needs (`restore: true`: wait for the first status, and open
 * only while signed in).
 */
function restoreViews(restorer: ILayoutRestorer, views: ViewManager): void {
  const { pipeline, run, runs, compare } = views.trackers;
  void restorer.restore(pipeline, {
    command: CommandIDs.openPipeline,
    name: widget => widget.content.pipelineId,
    args: widget => ({
      pipelineId: widget.content.pipelineId,
      versionId: widget.content.versionId,
      restore: true
    })
  });
  void restorer.restore(run, {
    command: CommandIDs.openRun,
    name: widget => widget.content.runId,
    args: widget => ({ runId: widget.content.runId, restore: true })
  });
  void restorer.restore(runs, {
    command: CommandIDs.openRuns,
    name: () => 'runs',
    args: () => ({ restore: true })
  });
  void restorer.restore(compare, {
    command: CommandIDs.compareVersions,
    name: widget => widget.content.pipelineId,
    args: widget => ({
      pipelineId: widget.content.pipelineId,
      left: widget.content.model.left.versionId,
      right: widget.content.model.right.versionId,
      restore: true
    })
  });
}

export default [plugin, kernelsPlugin];
