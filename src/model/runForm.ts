import {
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, KFPService, toProblem } from '../api';
import type { IProblem } from '../tokens';
import type {
  ICreateRunRequest,
  IExperiment,
  IRun,
  IRunParameterSpec,
  ParameterType
} from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';

/** One field of the form: what the person typed (or ticked) and what is wrong with it. */
export interface IParameterField {
  spec: IRunParameterSpec;
  /** The canonical type (STRING, NUMBER_INTEGER, ...), without KFP's `PARAMETER_TYPE_`. */
  type: ParameterType;
  /** Text for every type but BOOLEAN. */
  text: string;
  /** The value of a BOOLEAN field. */
  checked: boolean;
  /** Required: not optional and no default. */
  required: boolean;
  error: string;
}

/** Where the run goes: an existing experiment, a new one, or KFP's default. */
export type ExperimentChoice =
  | { kind: 'default' }
  | { kind: 'existing'; id: string }
  | { kind: 'new'; name: string };

/** A parameter type as the server may spell it (`PARAMETER_TYPE_STRING` or `STRING`). */
export function canonicalType(type: string | undefined): ParameterType {
  return String(type || 'STRING')
    .replace(/^PARAMETER_TYPE_/, '')
    .toUpperCase();
}

/** The text a field starts with: the default, written as the person would type it. */
export function defaultText(spec: IRunParameterSpec): string {
  const value = spec.default;
  if (value === null || value === undefined) {
    return '';
  }
  const type = canonicalType(spec.type);
  if (type === 'LIST' || type === 'STRUCT') {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  return String(value);
}

const INTEGER = /^[+-]?\d+$/;
const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parse a field's text as its type: `{value}` or `{error}`. Empty text means "not given"
 * (`value` undefined): KFP then uses the default, and a required parameter is an error.
 */
export function parseParameter(
  type: ParameterType,
  text: string,
  required: boolean,
  trans: TranslationBundle = nullTranslator.load(TRANSLATION_DOMAIN)
): { value?: unknown; error?: string } {
  const trimmed = text.trim();
  if (trimmed === '' && type !== 'STRING') {
    return required ? { error: trans.__('A value is required.') } : {};
  }
  if (text === '' && type === 'STRING') {
    return required ? { error: trans.__('A value is required.') } : {};
  }
  switch (type) {
    case 'NUMBER_INTEGER': {
      if (!INTEGER.test(trimmed)) {
        return { error: trans.__('Enter a whole number, e.g. 10.') };
      }
      const value = Number(trimmed);
      if (!Number.isSafeInteger(value)) {
        return { error: trans.__('This number is too large.') };
      }
      return { value };
    }
    case 'NUMBER_DOUBLE': {
      const value = Number(trimmed);
      if (!DOUBLE.test(trimmed) || !Number.isFinite(value)) {
        return { error: trans.__('Enter a number, e.g. 0.5.') };
      }
      return { value };
    }
    case 'BOOLEAN': {
      if (/^(true|false)$/i.test(trimmed)) {
        return { value: trimmed.toLowerCase() === 'true' };
      }
      return { error: trans.__('Enter true or false.') };
    }
    case 'LIST':
    case 'STRUCT': {
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        return {
          error: trans.__('Not valid JSON: %1', (error as Error).message)
        };
      }
      if (type === 'LIST' && !Array.isArray(value)) {
        return { error: trans.__('Enter a JSON list, e.g. [1, 2].') };
      }
      if (
        type === 'STRUCT' &&
        (value === null || typeof value !== 'object' || Array.isArray(value))
      ) {
        return { error: trans.__('Enter a JSON object, e.g. {"a": 1}.') };
      }
      return { value };
    }
    default:
      return { value: text };
  }
}

/**
 * The Create run form, apart from React: one field per root input parameter, the run's
 * name and experiment; checks every field before anything is sent, then shows the
 * server's `invalid_parameters` errors at their fields.
 */
export class RunFormModel {
  constructor(
    readonly service: KFPService,
    readonly target: {
      pipelineId: string;
      versionId?: string;
      /** For the default run name. */
      pipelineName: string;
    },
    parameters: readonly IRunParameterSpec[],
    private readonly trans: TranslationBundle = nullTranslator.load(
      TRANSLATION_DOMAIN
    )
  ) {
    this._fields = parameters.map(spec => {
      const type = canonicalType(spec.type);
      const hasDefault =
        spec.has_default ?? (spec.default !== undefined && spec.default !== null);
      return {
        spec,
        type,
        text: defaultText(spec),
        checked: type === 'BOOLEAN' ? spec.default === true || spec.default === 'true' : false,
        required: !spec.optional && !hasDefault,
        error: ''
      };
    });
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
    this._runName = `${target.pipelineName} ${stamp}`;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get fields(): readonly IParameterField[] {
    return this._fields;
  }

  get runName(): string {
    return this._runName;
  }

  get runNameError(): string {
    return this._runNameError;
  }

  get description(): string {
    return this._description;
  }

  get experiment(): ExperimentChoice {
    return this._experiment;
  }

  get experimentError(): string {
    return this._experimentError;
  }

  get experiments(): readonly IExperiment[] {
    return this._experiments;
  }

  get submitting(): boolean {
    return this._submitting;
  }

  /** A failure that belongs to no field (KFP down, signed out, ...). */
  get problem(): IProblem | null {
    return this._problem;
  }

  /** How many fields have an error now. */
  get errorCount(): number {
    return (
      this._fields.filter(f => f.error).length +
      (this._runNameError ? 1 : 0) +
      (this._experimentError ? 1 : 0)
    );
  }

  field(name: string): IParameterField | undefined {
    return this._fields.find(f => f.spec.name === name);
  }

  /** Typing in a field clears its error (it is checked again on submit). */
  setText(name: string, text: string): void {
    this._update(name, { text, error: '' });
  }

  setChecked(name: string, checked: boolean): void {
    this._update(name, { checked, error: '' });
  }

  setRunName(name: string): void {
    this._runName = name;
    this._runNameError = '';
    this._changed.emit();
  }

  setDescription(text: string): void {
    this._description = text;
    this._changed.emit();
  }

  setExperiment(choice: ExperimentChoice): void {
    this._experiment = choice;
    this._experimentError = '';
    this._changed.emit();
  }

  /** The namespace's experiments for the picker (first page, 200 is KFP's maximum). */
  async loadExperiments(): Promise<void> {
    try {
      const page = await this.service.listExperiments({ page_size: 200 });
      this._experiments = page.experiments ?? [];
    } catch (error) {
      this._problem = toProblem(error);
    }
    this._changed.emit();
  }

  /** The parameters as KFP gets them; only the fields the person gave a value. */
  values(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of this._fields) {
      if (f.type === 'BOOLEAN') {
        out[f.spec.name] = f.checked;
        continue;
      }
      const parsed = parseParameter(f.type, f.text, f.required, this.trans);
      if (parsed.value !== undefined) {
        out[f.spec.name] = parsed.value;
      }
    }
    return out;
  }

  /** Check every field here, before anything is sent; true when all are fine. */
  validate(): boolean {
    this._fields = this._fields.map(f => {
      if (f.type === 'BOOLEAN') {
        return { ...f, error: '' };
      }
      const parsed = parseParameter(f.type, f.text, f.required, this.trans);
      return { ...f, error: parsed.error ?? '' };
    });
    this._runNameError = this._runName.trim()
      ? ''
      : this.trans.__('Give the run a name.');
    this._experimentError =
      (this._experiment.kind === 'new' && !this._experiment.name.trim()) ||
      (this._experiment.kind === 'existing' && !this._experiment.id)
        ? this.trans.__('Choose an experiment or name a new one.')
        : '';
    this._changed.emit();
    return this.errorCount === 0;
  }

  /** What POST runs gets. */
  request(): ICreateRunRequest {
    const body: ICreateRunRequest = {
      pipeline_id: this.target.pipelineId,
      display_name: this._runName.trim(),
      parameters: this.values()
    };
    if (this.target.versionId) {
      body.pipeline_version_id = this.target.versionId;
    }
    if (this._description.trim()) {
      body.description = this._description.trim();
    }
    if (this._experiment.kind === 'existing') {
      body.experiment_id = this._experiment.id;
    } else if (this._experiment.kind === 'new') {
      body.experiment_name = this._experiment.name.trim();
    }
    return body;
  }

  /** Put the server's per-parameter errors at their fields; the rest goes to `problem`. */
  applyServerErrors(errors: Record<string, string>, problem?: IProblem): void {
    const unplaced: string[] = [];
    for (const [name, message] of Object.entries(errors)) {
      if (name === 'display_name') {
        this._runNameError = message;
        continue;
      }
      const index = this._fields.findIndex(f => f.spec.name === name);
      if (index >= 0) {
        this._fields = [...this._fields];
        this._fields[index] = { ...this._fields[index], error: message };
      } else {
        unplaced.push(`${name}: ${message}`);
      }
    }
    if (unplaced.length > 0 && problem) {
      this._problem = { ...problem, message: `${problem.message} ${unplaced.join('; ')}` };
    }
    this._changed.emit();
  }

  /** Check, then start the run; resolves with it, or null (errors are in the form). */
  async submit(): Promise<IRun | null> {
    this._problem = null;
    if (!this.validate() || this._submitting) {
      return null;
    }
    this._submitting = true;
    this._changed.emit();
    try {
      return await this.service.createRun(this.request());
    } catch (error) {
      const problem = toProblem(error);
      const errors = (problem.details as any)?.errors;
      if (
        error instanceof ApiError &&
        (problem.code === 'invalid_parameters' || problem.code === 'bad_request') &&
        errors &&
        typeof errors === 'object'
      ) {
        this.applyServerErrors(errors as Record<string, string>, problem);
        if (!this._problem && this.errorCount === 0) {
          this._problem = problem;
        }
      } else {
        this._problem = problem;
      }
      return null;
    } finally {
      this._submitting = false;
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _update(name: string, patch: Partial<IParameterField>): void {
    this._fields = this._fields.map(f =>
      f.spec.name === name ? { ...f, ...patch } : f
    );
    this._changed.emit();
  }

  private _fields: IParameterField[];
  private _runName: string;
  private _runNameError = '';
  private _description = '';
  private _experiment: ExperimentChoice = { kind: 'default' };
  private _experimentError = '';
  private _experiments: IExperiment[] = [];
  private _submitting = false;
  private _problem: IProblem | null = null;
  private _changed = new Signal<this, void>(this);
}
