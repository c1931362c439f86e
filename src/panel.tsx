import { ReactWidget } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { KFPService } from './api';
import { ConnectionHeader } from './components/ConnectionHeader';
import { useSignal } from './components/hooks';
import { PipelineDetail } from './components/PipelineDetail';
import { PipelineList, ScopeTabs } from './components/PipelineList';
import { SignInForm } from './components/SignInForm';
import { openUploadDialog } from './components/UploadDialog';
import { VersionBanner } from './components/VersionBanner';
import { kfpIcon } from './icons';
import { ConnectionModel, PipelineListModel } from './model';
import {
  IPipeline,
  IVersionCheck,
  Scope,
  TRANSLATION_DOMAIN,
  UploadSource
} from './tokens';
import { UploadOutcome } from './uploads';

/** Ask the browser for a file (the panel's and the palette's upload). */
export function pickFile(accept = '.yaml,.yml,.json,.zip,.tar.gz,.tgz'): Promise<File | null> {
  return new Promise(resolve => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.style.display = 'none';
    input.addEventListener('change', () => {
      resolve(input.files?.[0] ?? null);
      input.remove();
    });
    input.addEventListener('cancel', () => {
      resolve(null);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  });
}

/** The left-sidebar widget: hosts the panel's components around two models. */
export class KFPPanel extends ReactWidget {
  constructor(
    private readonly options: {
      translator: ITranslator;
      versionCheck: Promise<IVersionCheck>;
      service: KFPService;
      connection: ConnectionModel;
      pipelines: PipelineListModel;
      /** Open a pipeline (a version) in the main area (wired by the plugin). */
      openPipeline?: (pipelineId: string, versionId?: string) => void;
      /** Open the Runs list in the main area. */
      openRuns?: () => void;
      /** Two versions side by side in the main area. */
      openCompare?: (pipelineId: string, left: string, right: string) => void;
    }
  ) {
    super();
    this.trans = options.translator.load(TRANSLATION_DOMAIN);
    this.id = 'jp-kfp-connect-panel';
    this.title.icon = kfpIcon;
    this.title.caption = this.trans.__('Kubeflow Pipelines');
    this.addClass('jp-KFPConnect-panel');
    void options.versionCheck.then(check => {
      this._check = check;
      this.update();
    });
    options.connection.contextChanged.connect(this._onContext, this);
  }

  readonly trans: TranslationBundle;

  get connection(): ConnectionModel {
    return this.options.connection;
  }

  get pipelines(): PipelineListModel {
    return this.options.pipelines;
  }

  /** The pipeline whose detail is open, if any (the palette's export acts on it). */
  get currentPipeline(): string | null {
    return this._detail;
  }

  /** Export / apply a version (set by the commands; the version detail offers them). */
  versionActions: {
    exportVersion: (pipelineId: string, versionId: string) => void;
    applyVersion: (pipelineId: string, versionId: string) => void;
  } | null = null;

  /** Open a pipeline's detail view. */
  showPipeline(pipelineId: string | null, knownName?: string): void {
    this._detail = pipelineId;
    this._detailName = knownName ?? '';
    this.update();
  }

  /** A pipeline (or one version) in its main-area view; the sidebar stays a navigator. */
  openPipeline(pipelineId: string, versionId?: string): void {
    this.options.openPipeline?.(pipelineId, versionId);
  }

  /** Two versions of a pipeline side by side in the main area. */
  get openCompare():
    | ((pipelineId: string, left: string, right: string) => void)
    | undefined {
    return this.options.openCompare;
  }

  /** The Runs list in the main area. */
  openRuns(): void {
    this.options.openRuns?.();
  }

  /** The upload dialog for a source; a new version of `pipeline` when given. */
  async upload(
    source: UploadSource,
    pipeline?: IPipeline | null
  ): Promise<UploadOutcome | null> {
    const outcome = await openUploadDialog({
      service: this.options.service,
      connection: this.connection,
      trans: this.trans,
      source,
      scope: this.pipelines.scope,
      pipeline
    });
    if (outcome?.ok) {
      const id = outcome.pipeline?.id ?? outcome.version?.pipeline_id;
      void this.pipelines.refresh();
      if (id) {
        this._detail = id;
        this._selectVersion = outcome.version?.id ?? null;
        this._reloadKey++;
        this.update();
      }
    }
    return outcome;
  }

  /** Upload a file the user picks in the browser. */
  async uploadFromBrowser(pipeline?: IPipeline | null): Promise<void> {
    const file = await pickFile();
    if (file) {
      await this.upload({ file }, pipeline);
    }
  }

  dispose(): void {
    this.connection.contextChanged.disconnect(this._onContext, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <PanelView
        panel={this}
        check={this._check}
        detail={this._detail}
        detailName={this._detailName}
        reloadKey={this._reloadKey}
        selectVersion={this._selectVersion}
      />
    );
  }

  /** Signed in, switched namespace, signed out: the list starts over. */
  private _onContext(): void {
    this._detail = null;
    if (this.connection.connected) {
      const multi = this.connection.status?.multi_user !== false;
      if (!multi && this.pipelines.scope !== 'shared') {
        void this.pipelines.setScope('shared');
      } else {
        void this.pipelines.refresh();
      }
      void this.connection.loadNamespaces();
    } else {
      this.pipelines.clear();
    }
    this.update();
  }

  private _check: IVersionCheck | null = null;
  private _detail: string | null = null;
  private _detailName = '';
  private _reloadKey = 0;
  private _selectVersion: string | null = null;
}

function PanelView(props: {
  panel: KFPPanel;
  check: IVersionCheck | null;
  detail: string | null;
  detailName: string;
  reloadKey: number;
  selectVersion: string | null;
}): JSX.Element {
  const { panel, check, detail } = props;
  const { connection, pipelines, trans } = panel;
  useSignal(connection.changed);
  useSignal(pipelines.changed);
  const status = connection.status;
  const multi = status?.multi_user !== false;
  const where =
    pipelines.scope === 'shared' || !multi
      ? trans.__('the shared pipelines')
      : trans.__('namespace %1', status?.namespace || '?');
  return (
    <>
      <div className="jp-KFPConnect-title">{trans.__('Kubeflow Pipelines')}</div>
      <VersionBanner check={check} trans={trans} />
      <ConnectionHeader model={connection} trans={trans} />
      {connection.connected && (
        <div className="jp-KFPConnect-navRow">
          <button
            type="button"
            className="jp-KFPConnect-linkButton jp-KFPConnect-openRuns"
            onClick={() => panel.openRuns()}
          >
            {trans.__('Runs')}
          </button>
        </div>
      )}
      {status && !connection.connected && (
        <SignInForm
          key={`${status.state}|${status.host}`}
          model={connection}
          trans={trans}
        />
      )}
      {connection.connected && detail && (
        <PipelineDetail
          service={connection.service}
          status={status}
          pipelineId={detail}
          knownName={props.detailName}
          trans={trans}
          reloadKey={props.reloadKey}
          selectVersion={props.selectVersion}
          onError={error => connection.handleError(error)}
          onBack={() => panel.showPipeline(null)}
          onDeleted={id => {
            pipelines.remove(id);
            panel.showPipeline(null);
          }}
          onUploadVersion={pipeline => void panel.uploadFromBrowser(pipeline)}
          versionActions={panel.versionActions}
          onOpenView={(id, versionId) => panel.openPipeline(id, versionId)}
          onCompare={panel.openCompare}
        />
      )}
      {connection.connected && !detail && (
        <>
          {multi && (
            <ScopeTabs
              scope={pipelines.scope}
              trans={trans}
              onChange={(scope: Scope) => {
                void pipelines.setScope(scope);
                panel.update();
              }}
            />
          )}
          <PipelineList
            model={pipelines}
            trans={trans}
            where={where}
            onOpen={pipeline => {
              panel.showPipeline(
                pipeline.id,
                pipeline.display_name || pipeline.name
              );
              panel.openPipeline(pipeline.id);
            }}
            onUpload={() => void panel.uploadFromBrowser()}
          />
        </>
      )}
    </>
  );
}
