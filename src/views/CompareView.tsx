import { MergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { jupyterTheme } from '@jupyterlab/codemirror';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { formatTime, useSignal } from '../components/hooks';
import { ProblemView } from '../components/ProblemView';
import { kfpIcon } from '../icons';
import { CompareModel, defaultPair, lineChanges } from '../model/compare';
import { IPipeline, IPipelineVersion } from '../tokens';
import { IViewContext } from './context';

/** The main-area content comparing two versions of one pipeline (their package YAML). */
export class CompareViewContent extends ReactWidget {
  constructor(
    readonly context: IViewContext,
    readonly pipelineId: string,
    left: string,
    right: string
  ) {
    super();
    this.addClass('jp-KFPConnect-view');
    this.addClass('jp-KFPConnect-compareView');
    this.model = new CompareModel(context.service, pipelineId, left, right, error =>
      context.connection.handleError(error)
    );
    this.model.changed.connect(() => {
      const key = `${this.model.left.versionId}|${this.model.right.versionId}`;
      if (key !== this._saved) {
        this._saved = key;
        this._stateChanged.emit();
      }
    });
  }

  readonly model: CompareModel;

  /** Emits when the pair changes (the layout restorer saves it). */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Compare these two (a command asked again for this pipeline). */
  setVersions(left: string, right: string): void {
    if (left && right) {
      void this.model.setVersions(left, right);
    }
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <CompareBody
        content={this}
        onTitle={label => {
          if (this.parent instanceof MainAreaWidget) {
            this.parent.title.label = label;
          }
        }}
      />
    );
  }

  private _saved = '';
  private _stateChanged = new Signal<this, void>(this);
}

/** Two versions of a pipeline side by side in a main-area tab. */
export function createCompareView(
  context: IViewContext,
  pipelineId: string,
  left = '',
  right = ''
): MainAreaWidget<CompareViewContent> {
  const content = new CompareViewContent(context, pipelineId, left, right);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-KFPConnect-compare-${pipelineId}`;
  widget.title.label = context.trans.__('Compare versions');
  widget.title.icon = kfpIcon;
  widget.title.closable = true;
  return widget;
}

function versionLabel(v: IPipelineVersion): string {
  return `${v.display_name || v.name || v.id} · ${formatTime(v.created_at)}`;
}

function CompareBody(props: {
  content: CompareViewContent;
  onTitle: (label: string) => void;
}): JSX.Element {
  const { context, pipelineId, model } = props.content;
  const { service, trans, connection } = context;
  useSignal(model.changed);
  const [pipeline, setPipeline] = React.useState<IPipeline | null>(null);
  const [versions, setVersions] = React.useState<IPipelineVersion[]>([]);
  const [language, setLanguage] = React.useState<Extension | null>(null);
  const [listProblem, setListProblem] = React.useState<ReturnType<
    typeof connection.handleError
  > | null>(null);
  const host = React.useRef<HTMLDivElement>(null);

  // The versions to choose from (newest first) and, with none given, the default pair.
  React.useEffect(() => {
    let live = true;
    service
      .getPipeline(pipelineId)
      .then(data => {
        if (!live) {
          return;
        }
        const sorted = data.versions; // newest first (KFPService.getPipeline)
        setPipeline(data.pipeline);
        setVersions(sorted);
        const name = data.pipeline.display_name || data.pipeline.name || pipelineId;
        props.onTitle(trans.__('Compare: %1', name));
        // Without a left side: the right one (or the newest) and the version before it.
        const { left, right } = model;
        const pair = defaultPair(sorted, right.versionId || (sorted[0]?.id ?? ''));
        if (pair && !left.versionId) {
          void model.setVersions(pair.left, pair.right);
        } else if (pair && !right.versionId) {
          void model.setVersions(left.versionId, pair.right);
        } else {
          void model.load();
        }
      })
      .catch(error => live && setListProblem(connection.handleError(error)));
    return () => {
      live = false;
    };
  }, [pipelineId]);

  // YAML highlighting from JupyterLab's own language registry, when it is there.
  React.useEffect(() => {
    let live = true;
    const languages = context.languages;
    if (languages) {
      void languages
        .getLanguage('yaml')
        .then(found => live && found?.support && setLanguage(found.support))
        .catch(() => undefined);
    }
    return () => {
      live = false;
    };
  }, []);

  const left = model.left;
  const right = model.right;
  const ready = model.ready;

  // The merge view itself: rebuilt when either text (or the highlighting) changes.
  React.useEffect(() => {
    const parent = host.current;
    if (!parent || left.yaml === null || right.yaml === null) {
      return;
    }
    const extensions: Extension[] = [
      jupyterTheme,
      lineNumbers(),
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      ...(language ? [language] : [])
    ];
    const view = new MergeView({
      a: { doc: left.yaml, extensions },
      b: { doc: right.yaml, extensions },
      parent,
      gutter: true,
      highlightChanges: true,
      collapseUnchanged: { margin: 3, minSize: 6 }
    });
    view.a.dom.setAttribute('aria-label', trans.__('Older version (left)'));
    view.b.dom.setAttribute('aria-label', trans.__('Newer version (right)'));
    return () => view.destroy();
  }, [left.yaml, right.yaml, language]);

  const changes = React.useMemo(
    () => (ready ? lineChanges(left.yaml ?? '', right.yaml ?? '') : null),
    [left.yaml, right.yaml]
  );
  const name = pipeline?.display_name || pipeline?.name || pipelineId;
  const options = versions.map(v => ({ value: v.id, label: versionLabel(v) }));
  const problem = model.problem ?? listProblem;

  const select = (side: 'left' | 'right', id: string) => {
    void model.setVersions(
      side === 'left' ? id : left.versionId,
      side === 'right' ? id : right.versionId
    );
  };

  return (
    <div className="jp-KFPConnect-viewBody jp-KFPConnect-compareBody">
      <div className="jp-KFPConnect-viewHeader">
        <h1 className="jp-KFPConnect-viewTitle">{trans.__('Compare: %1', name)}</h1>
        <div className="jp-KFPConnect-compareSides">
          <HTMLSelect
            className="jp-KFPConnect-compareLeft"
            aria-label={trans.__('Left (before)')}
            value={left.versionId}
            onChange={e => select('left', e.target.value)}
            options={options}
          />
          <Button
            small
            minimal
            className="jp-KFPConnect-compareSwap"
            title={trans.__('Swap the sides')}
            aria-label={trans.__('Swap the sides')}
            onClick={() => model.swap()}
          >
            ⇄
          </Button>
          <HTMLSelect
            className="jp-KFPConnect-compareRight"
            aria-label={trans.__('Right (after)')}
            value={right.versionId}
            onChange={e => select('right', e.target.value)}
            options={options}
          />
          <Button
            small
            className="jp-mod-styled"
            onClick={() => context.openPipeline(pipelineId, right.versionId)}
          >
            {trans.__('Open pipeline')}
          </Button>
        </div>
      </div>
      {problem && <ProblemView problem={problem} trans={trans} />}
      <div className="jp-KFPConnect-compareSummary" aria-live="polite">
        {pipeline && versions.length < 2
          ? trans.__('This pipeline has one version: upload another to compare.')
          : !ready
          ? model.loading || !problem
            ? trans.__('Loading the packages…')
            : ''
          : left.versionId === right.versionId
            ? trans.__('The same version on both sides: choose another one to compare.')
            : changes && changes.chunks === 0
              ? trans.__('The two packages are identical.')
              : changes &&
                trans.__(
                  '%1 · %2 · %3',
                  trans._n('%1 change', '%1 changes', changes.chunks),
                  trans._n('%1 line added', '%1 lines added', changes.added),
                  trans._n('%1 line removed', '%1 lines removed', changes.removed)
                )}
      </div>
      <div
        className="jp-KFPConnect-compareDiff"
        ref={host}
        aria-busy={!ready}
        aria-label={trans.__('Package YAML, older on the left, newer on the right')}
      />
    </div>
  );
}
