import { ReactWidget } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import * as React from 'react';

import { VersionBanner } from './components/VersionBanner';
import { kfpIcon } from './icons';
import { IVersionCheck } from './tokens';

/** The left-sidebar widget: hosts the panel's components. */
export class KFPPanel extends ReactWidget {
  constructor(
    private readonly options: {
      translator: ITranslator;
      versionCheck: Promise<IVersionCheck>;
    }
  ) {
    super();
    const trans = options.translator.load('jupyter_kfp_connect');
    this.id = 'jp-kfp-connect-panel';
    this.title.icon = kfpIcon;
    this.title.caption = trans.__('Kubeflow Pipelines');
    this.addClass('jp-KFPConnect-panel');
    void options.versionCheck.then(check => {
      this._check = check;
      this.update();
    });
  }

  protected render(): JSX.Element {
    const trans = this.options.translator.load('jupyter_kfp_connect');
    return (
      <>
        <div className="jp-KFPConnect-title">
          {trans.__('Kubeflow Pipelines')}
        </div>
        <VersionBanner check={this._check} trans={trans} />
      </>
    );
  }

  private _check: IVersionCheck | null = null;
}
