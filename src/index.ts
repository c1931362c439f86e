import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { kfpIcon } from './icons';
import { KFPPanel } from './panel';
import { CommandIDs, IKFPConnect, PLUGIN_ID } from './tokens';
import { checkVersion } from './version';

/** Plugin wiring only: the panel, its command, and the service token. */
const plugin: JupyterFrontEndPlugin<IKFPConnect> = {
  id: PLUGIN_ID,
  description: 'Kubeflow Pipelines in JupyterLab: sign in, browse and upload.',
  autoStart: true,
  provides: IKFPConnect,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IKFPConnect => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_kfp_connect');
    const versionCheck = checkVersion();
    versionCheck.then(check => {
      if (check.status !== 'ok') {
        console.warn('jupyter_kfp_connect version handshake:', check);
      }
    });

    const panel = new KFPPanel({ translator, versionCheck });
    app.shell.add(panel, 'left', { rank: 750 });
    restorer?.add(panel, 'jp-kfp-connect-panel');

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Kubeflow Pipelines Panel'),
      icon: kfpIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({
      command: CommandIDs.openPanel,
      category: trans.__('Kubeflow Pipelines')
    });
    return { versionCheck };
  }
};

export default plugin;
