import { Dialog, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { ApiError, KFPService, toProblem } from '../api';
import { ConnectionModel } from '../model';
import {
  IPipeline,
  IProblem,
  ISpecSummary,
  Scope,
  UploadSource
} from '../tokens';
import {
  IDuplicate,
  UploadOutcome,
  baseName,
  runUpload,
  sourceName
} from '../uploads';
import { isValidName, proposeName } from '../k8sNames';
import { specCounts } from '../model/specSummary';
import { useSignal } from './hooks';
import { ProblemView } from './ProblemView';

/** A default version name: file name plus time, unique enough for a person. */
function defaultVersionName(fileName: string): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${baseName(fileName)}-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/**
 * The upload form's state, kept outside React so the dialog can ask it to submit
 * and keep itself open on failure.
 */
export class UploadFormModel {
  constructor(
    readonly service: KFPService,
    readonly source: UploadSource,
    private readonly trans: TranslationBundle,
    options: {
      scope: Scope;
      multiUser: boolean;
      namespace: string;
      pipeline?: IPipeline | null;
      /** KFP keeps pipelines as Kubernetes objects: names must be DNS-1123 names. */
      kubernetesNames?: boolean;
      /** Told of every failed upload (an expired session sends the panel to sign-in). */
      onProblem?: (problem: IProblem) => void;
    }
  ) {
    this._onProblem = options.onProblem;
    this.fileName = sourceName(source);
    this.scope = options.scope;
    this.multiUser = options.multiUser;
    this.namespace = options.namespace;
    this.kubernetesNames = options.kubernetesNames ?? false;
    this.name = baseName(this.fileName);
    this.versionName = defaultVersionName(this.fileName);
    if (options.pipeline) {
      this.mode = 'version';
      this.target = options.pipeline;
      this.scope = options.pipeline.namespace ? 'private' : 'shared';
    }
  }

  readonly fileName: string;
  readonly multiUser: boolean;
  readonly namespace: string;
  readonly kubernetesNames: boolean;
  mode: 'pipeline' | 'version' = 'pipeline';
  scope: Scope;
  name: string;
  versionName: string;
  /** Human-readable name, kept apart from the (Kubernetes) name. */
  displayName = '';
  description = '';
  target: IPipeline | null = null;
  /** The package's own names (from validation), for preselecting its pipeline. */
  packageNames: string[] = [];
  candidates: IPipeline[] = [];
  candidateSearch = '';
  validating = true;
  summary: ISpecSummary | null = null;
  invalid: IProblem | null = null;
  busy = false;
  problem: IProblem | null = null;
  duplicate: IDuplicate | null = null;
  outcome: UploadOutcome | null = null;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The name typed, or (Kubernetes store) the valid name it becomes. */
  get effectiveName(): string {
    const typed = (this.mode === 'version' ? this.versionName : this.name).trim();
    return this.kubernetesNames && typed && !isValidName(typed)
      ? proposeName(typed, this.mode === 'version' ? 127 : 128)
      : typed;
  }

  /** The display name sent: what was typed there, else the name as typed when it was changed. */
  get effectiveDisplayName(): string {
    const typed = (this.mode === 'version' ? this.versionName : this.name).trim();
    return this.displayName.trim() || (this.effectiveName !== typed ? typed : '');
  }

  update(fields: Partial<UploadFormModel>): void {
    Object.assign(this, fields);
    this._changed.emit();
  }

  /** Validate the package first: its name fills the form, its problem blocks upload. */
  async validate(): Promise<void> {
    try {
      const data = await this.service.validate(this.source);
      const summary: ISpecSummary | null = data?.summary ?? data ?? null;
      this.summary = summary;
      this.packageNames = [data?.name, summary?.name, summary?.display_name]
        .filter(n => typeof n === 'string' && n)
        .map(String);
      const specName = summary?.display_name || summary?.name;
      if (specName && this.mode === 'pipeline' && !this._nameEdited) {
        this.name = String(specName);
      }
      if (summary?.description && !this.description) {
        this.description = String(summary.description);
      }
    } catch (error) {
      const problem = toProblem(error);
      if (problem.code === 'invalid_package' || problem.code === 'package_too_large' || problem.status === 400 || problem.status === 413) {
        this.invalid = problem;
      } else {
        this.problem = problem;
      }
    } finally {
      this.validating = false;
      this._changed.emit();
    }
    if (this.mode === 'version' && !this.target) {
      await this._preselect();
    }
  }

  /**
   * The names a pipeline must carry to be preselected as this version's home: the package's
   * `pipelineInfo.name` (and display name), then the file's base name.
   */
  matchNames(): string[] {
    const names = [...this.packageNames, baseName(this.fileName)]
      .map(n => n.trim().toLowerCase())
      .filter(Boolean);
    return [...new Set(names)];
  }

  /** The candidate whose name matches the package, or null (never just the first one). */
  findMatch(candidates: IPipeline[]): IPipeline | null {
    for (const name of this.matchNames()) {
      const hit = candidates.find(
        c =>
          (c.display_name ?? '').toLowerCase() === name ||
          (c.name ?? '').toLowerCase() === name
      );
      if (hit) {
        return hit;
      }
    }
    return null;
  }

  /** Preselect the matching pipeline, searching the server by name if the page lacks it. */
  private async _preselect(): Promise<void> {
    const local = this.findMatch(this.candidates);
    if (local) {
      this.update({ target: local });
      return;
    }
    for (const name of this.matchNames()) {
      try {
        const page = await this.service.listPipelines({
          scope: this.scope,
          search: name,
          page_size: 50,
          sort_by: 'display_name'
        });
        const hit = this.findMatch(page.pipelines ?? []);
        if (hit && !this.target) {
          this.update({ target: hit });
          return;
        }
      } catch {
        return; // the candidate search reports failures; the user still chooses by hand
      }
    }
  }

  setName(name: string): void {
    this._nameEdited = true;
    this.update({ name, duplicate: null });
  }

  /**
   * The person clicked or typed in the name field: from now on the package's own name
   * (validation may still be running) never replaces it, so nothing changes under their
   * cursor or selection. Focus alone (the dialog focuses the field itself) and Tab, which
   * only passes through, do not count.
   */
  claimName(): void {
    this._nameEdited = true;
  }

  /** Search the pipelines a version can go to (server search, one page). */
  async searchTargets(text: string): Promise<void> {
    this.candidateSearch = text;
    const query = ++this._searchGen;
    this._changed.emit();
    try {
      const page = await this.service.listPipelines({
        scope: this.scope,
        search: text.trim() || undefined,
        page_size: 50,
        sort_by: 'display_name'
      });
      if (query === this._searchGen) {
        this.candidates = page.pipelines ?? [];
        this._changed.emit();
        if (!this.target && !this.validating && !text.trim()) {
          await this._preselect();
        }
      }
    } catch (error) {
      if (query === this._searchGen) {
        this.problem = toProblem(error);
        this._changed.emit();
      }
    }
  }

  /** Upload; true when done (the dialog may close). */
  async submit(): Promise<boolean> {
    if (this.busy || this.validating || this.invalid) {
      return false;
    }
    if (this.mode === 'version' && !this.target) {
      this.update({
        problem: {
          code: 'bad_request',
          message: this.trans.__('Choose the pipeline this version belongs to.'),
          fix: '',
          yaml: '',
          status: 400
        }
      });
      return false;
    }
    this.update({ busy: true, problem: null, duplicate: null });
    const outcome = await runUpload(this.service, {
      source: this.source,
      mode: this.mode,
      pipelineId: this.target?.id,
      name: this.effectiveName,
      displayName: this.effectiveDisplayName,
      description: this.description,
      scope: this.scope
    });
    this.busy = false;
    if (outcome.ok) {
      this.outcome = {
        ...outcome,
        pipeline: outcome.pipeline ?? this.target
      };
      this._changed.emit();
      return true;
    }
    this.problem = outcome.problem;
    this.duplicate = outcome.duplicate;
    this._changed.emit();
    if (outcome.problem) {
      this._onProblem?.(outcome.problem);
    }
    return false;
  }

  /** Accept the offer: add this file as a new version of the existing pipeline. */
  async uploadAsVersion(): Promise<boolean> {
    const dup = this.duplicate;
    if (!dup?.pipelineId) {
      return false;
    }
    this.mode = 'version';
    this.target = {
      id: dup.pipelineId,
      display_name: dup.name,
      namespace: this.scope === 'private' ? this.namespace : ''
    };
    this.duplicate = null;
    this.problem = null;
    return this.submit();
  }

  private _nameEdited = false;
  private readonly _onProblem?: (problem: IProblem) => void;
  private _searchGen = 0;
  private _changed = new Signal<this, void>(this);
}

function UploadForm(props: {
  model: UploadFormModel;
  trans: TranslationBundle;
  onUploaded: () => void;
}): JSX.Element {
  const { model, trans } = props;
  useSignal(model.changed);
  React.useEffect(() => {
    if (model.mode === 'version' && model.candidates.length === 0) {
      void model.searchTargets(model.candidateSearch);
    }
  }, [model.mode, model.scope]);

  const id = (name: string) => `jp-KFPConnect-upload-${name}`;
  const scopeOptions = [
    {
      value: 'private',
      label: trans.__('Private: namespace %1', model.namespace || '?')
    },
    { value: 'shared', label: trans.__('Shared with everyone') }
  ];
  const candidates =
    model.target &&
    !model.candidates.some(c => c.id === model.target?.id)
      ? [model.target, ...model.candidates]
      : model.candidates;

  return (
    <div className="jp-KFPConnect-uploadForm">
      <div className="jp-KFPConnect-uploadFile">
        <span className="jp-KFPConnect-muted">{trans.__('File')}</span>{' '}
        <span className="jp-KFPConnect-mono">{model.fileName}</span>
      </div>
      <div className="jp-KFPConnect-validation" aria-live="polite">
        {model.validating && trans.__('Checking the package…')}
        {!model.validating && model.summary && !model.invalid && (
          <span className="jp-KFPConnect-ok">
            {trans.__(
              'A valid KFP pipeline: %1, %2.',
              trans._n('%1 task', '%1 tasks', specCounts(model.summary).tasks),
              trans._n(
                '%1 parameter',
                '%1 parameters',
                specCounts(model.summary).parameters
              )
            )}
          </span>
        )}
      </div>
      {model.invalid && (
        <ProblemView
          problem={{
            ...model.invalid,
            message: trans.__('This file cannot be uploaded: %1', model.invalid.message)
          }}
          trans={trans}
        />
      )}
      {model.busy && <div aria-live="polite">{trans.__('Uploading…')}</div>}
      {model.problem && (
        <ProblemView
          problem={model.problem}
          trans={trans}
          kind={model.duplicate ? 'warning' : 'error'}
        />
      )}
      {model.duplicate && (
        <div className="jp-KFPConnect-duplicate">
          {model.duplicate.pipelineId ? (
            <Button
              className="jp-mod-styled jp-mod-accept jp-KFPConnect-asVersion"
              onClick={() =>
                void model.uploadAsVersion().then(ok => ok && props.onUploaded())
              }
            >
              {trans.__('Upload as a new version of “%1”', model.duplicate.name)}
            </Button>
          ) : (
            trans.__('Choose another name, or upload it as a new version.')
          )}
        </div>
      )}
      {!model.invalid && (
        <>
          <fieldset className="jp-KFPConnect-modes">
            <legend>{trans.__('Upload as')}</legend>
            <label>
              <input
                type="radio"
                name="mode"
                value="pipeline"
                checked={model.mode === 'pipeline'}
                onChange={() => model.update({ mode: 'pipeline', problem: null })}
              />
              {trans.__('A new pipeline')}
            </label>
            <label>
              <input
                type="radio"
                name="mode"
                value="version"
                checked={model.mode === 'version'}
                onChange={() => model.update({ mode: 'version', problem: null, duplicate: null })}
              />
              {trans.__('A new version of a pipeline')}
            </label>
          </fieldset>
          {model.multiUser && (
            <label className="jp-KFPConnect-field" htmlFor={id('scope')}>
              <span>
                {model.mode === 'pipeline' ? trans.__('Where') : trans.__('Look in')}
              </span>
              <HTMLSelect
                id={id('scope')}
                value={model.scope}
                onChange={e => {
                  model.update({
                    scope: e.target.value as Scope,
                    target: null,
                    candidates: [],
                    duplicate: null
                  });
                }}
                options={scopeOptions}
              />
            </label>
          )}
          {model.mode === 'pipeline' ? (
            <label className="jp-KFPConnect-field" htmlFor={id('name')}>
              <span>{trans.__('Pipeline name')}</span>
              <InputGroup
                id={id('name')}
                required
                value={model.name}
                onMouseDown={() => model.claimName()}
                onKeyDown={e => e.key !== 'Tab' && model.claimName()}
                onChange={e => model.setName(e.target.value)}
              />
            </label>
          ) : (
            <>
              <label className="jp-KFPConnect-field" htmlFor={id('target-search')}>
                <span>{trans.__('Pipeline')}</span>
                <InputGroup
                  id={id('target-search')}
                  type="search"
                  placeholder={trans.__('Search by name')}
                  value={model.candidateSearch}
                  onChange={e => void model.searchTargets(e.target.value)}
                />
              </label>
              <HTMLSelect
                id={id('target')}
                aria-label={trans.__('Pipeline to add the version to')}
                value={model.target?.id ?? ''}
                onChange={e =>
                  model.update({
                    target:
                      candidates.find(c => c.id === e.target.value) ??
                      null
                  })
                }
                options={
                  candidates.length
                    ? [
                        ...(model.target
                          ? []
                          : [{ value: '', label: trans.__('Choose a pipeline…') }]),
                        ...candidates.map(c => ({
                          value: c.id,
                          label: c.display_name || c.name || c.id
                        }))
                      ]
                    : [{ value: '', label: trans.__('No matching pipeline') }]
                }
              />
              <label className="jp-KFPConnect-field" htmlFor={id('version-name')}>
                <span>{trans.__('Version name')}</span>
                <InputGroup
                  id={id('version-name')}
                  required
                  value={model.versionName}
                  onChange={e => model.update({ versionName: e.target.value })}
                />
              </label>
            </>
          )}
          {model.kubernetesNames &&
            model.effectiveName !==
              (model.mode === 'version' ? model.versionName : model.name).trim() && (
              <div className="jp-KFPConnect-nameHint" aria-live="polite">
                {trans.__(
                  'This Kubeflow keeps pipelines as Kubernetes objects: the name will be “%1”, and your text stays as the display name.',
                  model.effectiveName
                )}
              </div>
            )}
          <label className="jp-KFPConnect-field" htmlFor={id('display-name')}>
            <span>{trans.__('Display name')}</span>
            <InputGroup
              id={id('display-name')}
              placeholder={model.effectiveDisplayName || trans.__('Same as the name')}
              value={model.displayName}
              onChange={e => model.update({ displayName: e.target.value })}
            />
          </label>
          <label className="jp-KFPConnect-field" htmlFor={id('description')}>
            <span>{trans.__('Description')}</span>
            <textarea
              id={id('description')}
              className="jp-KFPConnect-textarea"
              rows={2}
              value={model.description}
              onChange={e => model.update({ description: e.target.value })}
            />
          </label>
        </>
      )}
    </div>
  );
}

/** The dialog's body: renders the form and hands its outcome to `showDialog`'s caller. */
class UploadBody extends ReactWidget {
  constructor(
    readonly model: UploadFormModel,
    private readonly trans: TranslationBundle,
    private readonly onUploaded: () => void
  ) {
    super();
    this.addClass('jp-KFPConnect-upload');
  }

  getValue(): UploadOutcome | null {
    return this.model.outcome;
  }

  protected render(): JSX.Element {
    return (
      <UploadForm
        model={this.model}
        trans={this.trans}
        onUploaded={this.onUploaded}
      />
    );
  }
}

/** A dialog whose Upload button waits for the server and stays open on failure. */
class UploadDialog extends Dialog<UploadOutcome | null> {
  constructor(
    options: Partial<Dialog.IOptions<UploadOutcome | null>>,
    private readonly form: UploadFormModel,
    private readonly buttonList: ReadonlyArray<Dialog.IButton>
  ) {
    super(options);
    form.changed.connect(this.syncAccept, this);
  }

  /** Upload is only possible once the package passed validation. */
  syncAccept(): void {
    const accept = this.node.querySelector<HTMLButtonElement>(
      '.jp-Dialog-button.jp-mod-accept'
    );
    if (accept) {
      accept.disabled = Boolean(
        this.form.validating || this.form.invalid || this.form.busy
      );
    }
  }


  dispose(): void {
    this.form.changed.disconnect(this.syncAccept, this);
    super.dispose();
  }

  resolve(index?: number): void {
    const button = this.buttonList[index ?? this.buttonList.length - 1];
    if (!button?.accept || this.form.outcome) {
      super.resolve(index);
      return;
    }
    void this.form.submit().then(done => {
      if (done) {
        super.resolve(index);
      }
    });
  }
}

/** Open the upload dialog; resolves with the outcome, or null when cancelled. */
export async function openUploadDialog(options: {
  service: KFPService;
  connection: ConnectionModel;
  trans: TranslationBundle;
  source: UploadSource;
  scope: Scope;
  pipeline?: IPipeline | null;
}): Promise<UploadOutcome | null> {
  const { trans, connection } = options;
  const status = connection.status;
  const form = new UploadFormModel(options.service, options.source, trans, {
    scope: status?.multi_user === false ? 'shared' : options.scope,
    multiUser: status?.multi_user !== false,
    namespace: status?.namespace ?? '',
    pipeline: options.pipeline,
    kubernetesNames: status?.pipeline_store === 'kubernetes',
    onProblem: problem => connection.handleError(new ApiError(problem))
  });
  void form.validate();
  const buttons = [
    Dialog.cancelButton({ label: trans.__('Cancel') }),
    Dialog.okButton({ label: trans.__('Upload') })
  ];
  let dialog: UploadDialog | null = null;
  const body = new UploadBody(form, trans, () => dialog?.resolve(1));
  dialog = new UploadDialog(
    {
      title: trans.__('Upload to Kubeflow Pipelines'),
      body,
      buttons,
      focusNodeSelector: 'input:not([type="radio"])'
    },
    form,
    buttons
  );
  const shown = dialog.launch();
  dialog.syncAccept();
  const result = await shown;
  if (!result.button.accept) {
    return null;
  }
  return form.outcome;
}
