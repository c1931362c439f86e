import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISessionContext, Notification } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { requestAPI } from './api';
import { PACKAGE_NAME, PLUGIN_ID, TRANSLATION_DOMAIN } from './tokens';

/** What a Python kernel runs, silently, when it starts or restarts. */
export const LOAD_EXTENSION = '%load_ext jupyter_kfp_connect';

/** The setting (schema/plugin.json) that turns injection off. */
export const INJECT_SETTING = 'injectKernels';

/** Only Python kernels know the IPython extension; other languages are left alone. */
export function isPython(info: KernelMessage.IInfoReply | undefined): boolean {
  return (info?.language_info?.name ?? '').toLowerCase() === 'python';
}

/**
 * Load the extension into `kernel` if it speaks Python. Silent and out of the history, so
 * the user sees no cell, no output and no execution count for it.
 */
export async function injectInto(
  kernel: Kernel.IKernelConnection
): Promise<boolean> {
  const info = await kernel.info;
  if (!isPython(info)) {
    return false;
  }
  const future = kernel.requestExecute(
    {
      code: LOAD_EXTENSION,
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false
    },
    true
  );
  const reply = (await future.done) as KernelMessage.IExecuteReplyMsg | undefined;
  const content = reply?.content;
  if (content?.status === 'error') {
    // Typically: the kernel runs in another environment than the server, without the package.
    throw new KernelInjectionError(`${content.ename}: ${content.evalue}`);
  }
  return true;
}

/** `%load_ext jupyter_kfp_connect` failed inside the kernel. */
export class KernelInjectionError extends Error {}

/** Watches session contexts and injects on every kernel start and restart. */
export class KernelInjector {
  constructor(
    private readonly enabled: () => boolean,
    private readonly inject: (
      kernel: Kernel.IKernelConnection
    ) => Promise<boolean> = injectInto,
    private readonly onFailure: (reason: unknown) => void = reason =>
      console.warn(`${PACKAGE_NAME}: could not load into the kernel`, reason)
  ) {}

  watch(context: ISessionContext): void {
    const run = (kernel: Kernel.IKernelConnection | null | undefined) => {
      if (kernel && this.enabled()) {
        this.inject(kernel).catch(this.onFailure);
      }
    };
    // A new kernel (start, or another kernel chosen).
    context.kernelChanged.connect((_, change) => run(change.newValue));
    // A restart keeps the kernel object: inject once it is idle again.
    let restarting = false;
    context.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting') {
        restarting = true;
      } else if (restarting && status === 'idle') {
        restarting = false;
        run(context.session?.kernel);
      }
    });
    run(context.session?.kernel);
  }
}

/** The server's `c.KFPConnect.inject_kernels` (false when the server extension is absent). */
export async function serverAllowsInjection(
  request: typeof requestAPI = requestAPI
): Promise<boolean> {
  try {
    const answer = await request<{ inject_kernels: boolean }>('kernel/inject');
    return answer.inject_kernels !== false;
  } catch {
    return false;
  }
}

/** Loads `kfp_client` and `%kfp` into every Python kernel of notebooks and consoles. */
export const kernelsPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PACKAGE_NAME}:kernels`,
  description:
    'Loads kfp_client and the %kfp magic into Python kernels on start and restart.',
  autoStart: true,
  optional: [INotebookTracker, IConsoleTracker, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    let userAllows = true;
    let serverAllows = false;
    const injector = new KernelInjector(
      () => userAllows && serverAllows,
      injectInto,
      reason => {
        console.warn(`${PACKAGE_NAME}: could not load into the kernel`, reason);
        if (reason instanceof KernelInjectionError) {
          Notification.warning(
            trans.__(
              'kfp_client is not available in this kernel (%1). Install jupyter_kfp_connect in the kernel\'s Python environment, or turn this off in Settings → Kubeflow Pipelines.',
              reason.message
            ),
            { autoClose: 10000 }
          );
        }
      }
    );
    const watchAll = () => {
      notebooks?.forEach(panel => injector.watch(panel.sessionContext));
      notebooks?.widgetAdded.connect((_, panel) =>
        injector.watch(panel.sessionContext)
      );
      consoles?.forEach(panel => injector.watch(panel.console.sessionContext));
      consoles?.widgetAdded.connect((_, panel) =>
        injector.watch(panel.console.sessionContext)
      );
    };
    const settingsRead = settingRegistry
      ? settingRegistry
          .load(PLUGIN_ID)
          .then(settings => {
            const read = () => {
              userAllows = settings.composite[INJECT_SETTING] !== false;
            };
            read();
            settings.changed.connect(read);
          })
          .catch(reason =>
            console.warn(`${PACKAGE_NAME}: settings not loaded`, reason)
          )
      : Promise.resolve();
    // Decide first, then watch: kernels already running get it as well.
    void Promise.all([serverAllowsInjection(), settingsRead]).then(
      ([allowed]) => {
        serverAllows = allowed;
        watchAll();
      }
    );
  }
};
