import { ReactWidget } from '@jupyterlab/apputils';
import type { Message } from '@lumino/messaging';

/**
 * A React main-area content that knows when it is on screen: views poll only then
 * (`onVisibility`), so a tab in the background costs no KFP call.
 */
export abstract class VisibleReactWidget extends ReactWidget {
  protected abstract onVisibility(visible: boolean): void;

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.onVisibility(true);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.onVisibility(this.isVisible);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.onVisibility(false);
  }

  protected onBeforeDetach(msg: Message): void {
    this.onVisibility(false);
    super.onBeforeDetach(msg);
  }
}
