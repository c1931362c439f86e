import { Signal } from '@lumino/signaling';

// Only the plugin's tokens come from these; loading the real packages takes half a minute.
jest.mock('@jupyterlab/notebook', () => ({ INotebookTracker: {} }));
jest.mock('@jupyterlab/console', () => ({ IConsoleTracker: {} }));
jest.mock('@jupyterlab/application', () => ({}));
jest.mock('@jupyterlab/apputils', () => ({ Notification: { warning: jest.fn() } }));

import {
  injectInto,
  isPython,
  KernelInjectionError,
  KernelInjector,
  LOAD_EXTENSION,
  serverAllowsInjection
} from '../kernels';
import { ApiError } from '../api';

/** A kernel connection as far as injection sees it: info and requestExecute. */
function fakeKernel(language: string, reply: any = { content: { status: 'ok' } }) {
  const executed: any[] = [];
  const kernel = {
    info: Promise.resolve({ language_info: { name: language } }),
    requestExecute: (content: any, disposeOnDone: boolean) => {
      executed.push({ content, disposeOnDone });
      return { done: Promise.resolve(reply) };
    }
  };
  return { kernel: kernel as any, executed };
}

/** A session context: the two signals the injector listens to, and the current kernel. */
class FakeContext {
  kernelChanged = new Signal<this, any>(this);
  statusChanged = new Signal<this, string>(this);
  session: any = null;

  start(kernel: any): void {
    this.session = { kernel };
    this.kernelChanged.emit({ name: 'kernel', oldValue: null, newValue: kernel });
  }
}

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('kernel injection', () => {
  it('loads the extension silently, out of the history, into Python only', async () => {
    const python = fakeKernel('python');
    expect(await injectInto(python.kernel)).toBe(true);
    expect(python.executed).toHaveLength(1);
    expect(python.executed[0].content).toEqual(
      expect.objectContaining({
        code: LOAD_EXTENSION,
        silent: true,
        store_history: false,
        allow_stdin: false
      })
    );
    const r = fakeKernel('R');
    expect(await injectInto(r.kernel)).toBe(false);
    expect(r.executed).toHaveLength(0);
    expect(isPython(undefined)).toBe(false);
  });

  it('reports a kernel that cannot load the extension instead of leaving a NameError', async () => {
    const { kernel } = fakeKernel('python', {
      content: {
        status: 'error',
        ename: 'ModuleNotFoundError',
        evalue: "No module named 'jupyter_kfp_connect'"
      }
    });
    await expect(injectInto(kernel)).rejects.toThrow(
      "ModuleNotFoundError: No module named 'jupyter_kfp_connect'"
    );
    const failures: unknown[] = [];
    const context = new FakeContext();
    new KernelInjector(() => true, injectInto, reason => failures.push(reason)).watch(
      context as any
    );
    context.start(kernel);
    await flush();
    await flush();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(KernelInjectionError);
  });

  it('injects on start and again after a restart, never while turned off', async () => {
    let enabled = true;
    const injected: any[] = [];
    const injector = new KernelInjector(
      () => enabled,
      async kernel => {
        injected.push(kernel);
        return true;
      }
    );
    const context = new FakeContext();
    injector.watch(context as any);
    expect(injected).toHaveLength(0); // no kernel yet

    const { kernel } = fakeKernel('python');
    context.start(kernel);
    expect(injected).toEqual([kernel]);

    context.statusChanged.emit('busy');
    context.statusChanged.emit('idle');
    expect(injected).toHaveLength(1); // ordinary work is not a restart

    context.statusChanged.emit('restarting');
    context.statusChanged.emit('starting');
    context.statusChanged.emit('idle');
    expect(injected).toEqual([kernel, kernel]);

    context.statusChanged.emit('autorestarting'); // the server restarted a dead kernel
    context.statusChanged.emit('idle');
    expect(injected).toHaveLength(3);

    enabled = false;
    context.statusChanged.emit('restarting');
    context.statusChanged.emit('idle');
    context.start(fakeKernel('python').kernel);
    expect(injected).toHaveLength(3);
    await flush();
  });

  it('injects into a kernel that was already running when watching began', () => {
    const injected: any[] = [];
    const context = new FakeContext();
    context.session = { kernel: fakeKernel('python').kernel };
    new KernelInjector(
      () => true,
      async kernel => {
        injected.push(kernel);
        return true;
      }
    ).watch(context as any);
    expect(injected).toHaveLength(1);
  });

  it('follows the server setting and stays off without the server extension', async () => {
    expect(await serverAllowsInjection((async () => ({ inject_kernels: true })) as any)).toBe(true);
    expect(await serverAllowsInjection((async () => ({ inject_kernels: false })) as any)).toBe(false);
    const missing = async () => {
      throw new ApiError({ code: 'extension_missing', message: '', fix: '', yaml: '', status: 404 });
    };
    expect(await serverAllowsInjection(missing as any)).toBe(false);
  });
});
