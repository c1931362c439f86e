import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import { fileUploadIcon, refreshIcon } from '@jupyterlab/ui-components';

import { kfpIcon } from './icons';
import { KFPPanel } from './panel';
import { CommandIDs, PIPELINE_FILE_PATTERN } from './tokens';

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
  fileBrowserFactory: IFileBrowserFactory | null
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

  const category = trans.__('Kubeflow Pipelines');
  for (const command of [
    CommandIDs.openPanel,
    CommandIDs.uploadPipeline,
    CommandIDs.checkConnection,
    CommandIDs.signOut,
    CommandIDs.refresh
  ]) {
    palette?.addItem({ command, category });
  }
}
