import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { KFPService, setTranslator } from './api';
import { addCommands } from './commands';
import { ConnectionModel, PipelineListModel } from './model';
import { kernelsPlugin } from './kernels';
import { KFPPanel } from './panel';
import { applySettings, DEFAULT_SETTINGS } from './settings';
import { IKFPConnect, PLUGIN_ID, TRANSLATION_DOMAIN } from './tokens';
import { checkVersion } from './version';

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
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    fileBrowserFactory: IFileBrowserFactory | null
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
    const panel = new KFPPanel({
      translator,
      versionCheck,
      service,
      connection,
      pipelines
    });
    app.shell.add(panel, 'left', { rank: 750 });
    restorer?.add(panel, 'jp-kfp-connect-panel');
    addCommands(app, panel, trans, palette, fileBrowserFactory);

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

export default [plugin, kernelsPlugin];
