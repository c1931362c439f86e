import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  Notification
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import { fileUploadIcon, refreshIcon } from '@jupyterlab/ui-components';

import { kfpIcon } from './icons';
import { applyManifests, exportManifests } from './manifests';
import { KFPPanel } from './panel';
import { CommandIDs, PIPELINE_FILE_PATTERN } from './tokens';
import { ViewManager } from './views/manager';

/** The file browser's single selected file, if it looks like a pipeline package. */
function selectedPipelineFile(
  factory: IFileBrowserFactory | null
): string | null {
  const browser = factory?.tracker.currentWidget;
  if (!browser) {
    return null;
  }
  const items = Array.from(browser.selectedItems());
  if (items.length !== 1) {
    return null;
  }
  const item = items[0];
  return item.type !== 'directory' && PIPELINE_FILE_PATTERN.test(item.name)
    ? item.path
    : null;
}

/** Palette commands and the file browser's "Upload to Kubeflow Pipelines". */
export function addCommands(
  app: JupyterFrontEnd,
  panel: KFPPanel,
  trans: TranslationBundle,
  palette: ICommandPalette | null,
  fileBrowserFactory: IFileBrowserFactory | null,
  views: ViewManager
): void {
  const { commands } = app;
  const { connection, pipelines } = panel;

  /** Uploads need a session: open the panel to sign in first. */
  const ensureConnected = (): boolean => {
    if (connection.connected) {
      return true;
    }
    app.shell.activateById(panel.id);
    Notification.warning(
      trans.__('Sign in to Kubeflow Pipelines first (the panel is open).'),
      { autoClose: 5000 }
    );
    return false;
  };

  /**
   * A view the layout restorer reopens after a reload (`args.restore`): wait for the first
   * status, then open it only while signed in, without a notification.
   */
  const mayOpen = async (args: { restore?: unknown }): Promise<boolean> => {
    if (args.restore !== true) {
      return ensureConnected();
    }
    if (connection.status === null) {
      await new Promise<void>(resolve => {
        const done = () => {
          if (connection.status !== null) {
            connection.changed.disconnect(done);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          connection.changed.disconnect(done);
          resolve();
        }, 15000);
        connection.changed.connect(done);
      });
    }
    return connection.connected;
  };

  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Open Kubeflow Pipelines Panel'),
    icon: kfpIcon,
    execute: () => app.shell.activateById(panel.id)
  });

  commands.addCommand(CommandIDs.uploadPipeline, {
    label: trans.__('Upload Pipeline to Kubeflow Pipelines…'),
    caption: trans.__('Upload a pipeline package (YAML, JSON, zip, tar.gz)'),
    icon: fileUploadIcon,
    execute: async () => {
      if (ensureConnected()) {
        app.shell.activateById(panel.id);
        await panel.uploadFromBrowser();
      }
    }
  });

  commands.addCommand(CommandIDs.uploadFile, {
    label: trans.__('Upload to Kubeflow Pipelines…'),
    icon: kfpIcon,
    isVisible: () => selectedPipelineFile(fileBrowserFactory) !== null,
    execute: async args => {
      const path =
        (args.path as string | undefined) ??
        selectedPipelineFile(fileBrowserFactory);
      if (!path || !ensureConnected()) {
        return;
      }
      const outcome = await panel.upload({ path });
      if (outcome?.ok) {
        app.shell.activateById(panel.id);
      }
    }
  });

  /** The folder the file browser shows (exports of stored versions are saved there). */
  const browserFolder = (): string =>
    fileBrowserFactory?.tracker.currentWidget?.model.path ?? '';

  commands.addCommand(CommandIDs.exportVersion, {
    label: trans.__('Export Pipeline Version as Kubernetes Manifests'),
    caption: trans.__(
      'Pipeline and PipelineVersion YAML for kubectl or GitOps (KFP 2.14+ Kubernetes store)'
    ),
    icon: kfpIcon,
    execute: async args => {
      const pipelineId = (args.pipelineId as string | undefined) ?? panel.currentPipeline;
      if (!ensureConnected()) {
        return;
      }
      if (!pipelineId) {
        const path = selectedPipelineFile(fileBrowserFactory);
        if (path) {
          return exportManifests(app, connection.service, trans, { path }, browserFolder());
        }
        app.shell.activateById(panel.id);
        Notification.info(
          trans.__('Open a pipeline in the panel, or select a package file, to export it.'),
          { autoClose: 5000 }
        );
        return;
      }
      return exportManifests(
        app,
        connection.service,
        trans,
        { pipeline_id: pipelineId, version_id: (args.versionId as string | undefined) ?? '' },
        browserFolder()
      );
    }
  });

  commands.addCommand(CommandIDs.exportFile, {
    label: trans.__('Export as Kubernetes Manifests'),
    icon: kfpIcon,
    isVisible: () => selectedPipelineFile(fileBrowserFactory) !== null,
    execute: async args => {
      const path =
        (args.path as string | undefined) ?? selectedPipelineFile(fileBrowserFactory);
      if (!path || !ensureConnected()) {
        return;
      }
      const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
      return exportManifests(app, connection.service, trans, { path }, folder);
    }
  });

  commands.addCommand(CommandIDs.applyVersion, {
    label: trans.__('Apply Pipeline Version to Kubernetes…'),
    caption: trans.__('Create or update the Pipeline and PipelineVersion objects in your namespace'),
    execute: async args => {
      const pipelineId = (args.pipelineId as string | undefined) ?? panel.currentPipeline;
      if (!pipelineId || !ensureConnected()) {
        return;
      }
      return applyManifests(connection.service, trans, {
        pipeline_id: pipelineId,
        version_id: (args.versionId as string | undefined) ?? ''
      });
    }
  });
  panel.versionActions = {
    exportVersion: (pipelineId, versionId) =>
      void commands.execute(CommandIDs.exportVersion, { pipelineId, versionId }),
    applyVersion: (pipelineId, versionId) =>
      void commands.execute(CommandIDs.applyVersion, { pipelineId, versionId })
  };

  commands.addCommand(CommandIDs.checkConnection, {
    label: trans.__('Check Kubeflow Pipelines Connection'),
    execute: async () => {
      app.shell.activateById(panel.id);
      await connection.check();
    }
  });

  commands.addCommand(CommandIDs.signOut, {
    label: trans.__('Sign Out of Kubeflow Pipelines'),
    isEnabled: () => connection.connected,
    execute: () => connection.logout()
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Kubeflow Pipelines'),
    icon: refreshIcon,
    execute: async () => {
      await connection.refreshStatus();
      if (connection.connected) {
        await pipelines.refresh();
      }
    }
  });

  commands.addCommand(CommandIDs.openRuns, {
    label: trans.__('Open Kubeflow Pipelines Runs'),
    caption: trans.__('The runs of your namespace: state, filters, live status'),
    icon: kfpIcon,
    execute: async args => {
      if (await mayOpen(args)) {
        views.openRuns(undefined, args.refresh === true);
      }
    }
  });

  commands.addCommand(CommandIDs.openRun, {
    label: args =>
      args.runId
        ? trans.__('Open Run %1', String(args.runId))
        : trans.__('Open Kubeflow Pipelines Run by ID…'),
    icon: kfpIcon,
    execute: async args => {
      let runId = (args.runId as string | undefined)?.trim();
      if (!runId) {
        const result = await InputDialog.getText({
          title: trans.__('Open run'),
          label: trans.__('Run ID'),
          placeholder: '00000000-0000-0000-0000-000000000000',
          okLabel: trans.__('Open')
        });
        runId = result.button.accept ? (result.value ?? '').trim() : '';
      }
      if (runId && (await mayOpen(args))) {
        views.openRun(runId);
      }
    }
  });

  commands.addCommand(CommandIDs.openPipeline, {
    label: trans.__('Open Pipeline'),
    icon: kfpIcon,
    execute: async args => {
      const pipelineId = args.pipelineId as string | undefined;
      if (pipelineId && (await mayOpen(args))) {
        views.openPipeline(pipelineId, (args.versionId as string | undefined) || undefined);
      }
    }
  });

  commands.addCommand(CommandIDs.compareVersions, {
    label: trans.__('Compare Pipeline Versions'),
    caption: trans.__(
      'Two versions of a pipeline side by side (the open pipeline, or the one in the sidebar)'
    ),
    icon: kfpIcon,
    execute: async args => {
      // Given ids, else the pipeline view in front (its version on the right), else the
      // pipeline open in the sidebar.
      const shown = views.trackers.pipeline.currentWidget?.content;
      const pipelineId =
        (args.pipelineId as string | undefined) || shown?.pipelineId || panel.currentPipeline;
      if (!pipelineId) {
        Notification.info(
          trans.__('Open a pipeline first (the sidebar or a pipeline tab), then compare.'),
          { autoClose: 5000 }
        );
        return;
      }
      const right =
        (args.right as string | undefined) ||
        (!args.pipelineId && shown?.pipelineId === pipelineId ? shown.versionId : '');
      if (await mayOpen(args)) {
        views.openCompare(pipelineId, (args.left as string | undefined) ?? '', right);
      }
    }
  });

  const category = trans.__('Kubeflow Pipelines');
  for (const command of [
    CommandIDs.openPanel,
    CommandIDs.uploadPipeline,
    CommandIDs.exportVersion,
    CommandIDs.applyVersion,
    CommandIDs.checkConnection,
    CommandIDs.signOut,
    CommandIDs.refresh,
    CommandIDs.openRuns,
    CommandIDs.openRun,
    CommandIDs.compareVersions
  ]) {
    palette?.addItem({ command, category });
  }
}
