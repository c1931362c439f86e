import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IParameterField, RunFormModel } from '../model/runForm';
import type { IRun } from '../tokens';
import { useSignal } from './hooks';
import { ProblemView } from './ProblemView';

/** How a parameter type reads for people (form and parameter tables). */
export function typeLabel(type: string, trans: TranslationBundle): string {
  switch (type) {
    case 'STRING':
      return trans.__('string');
    case 'NUMBER_INTEGER':
      return trans.__('integer');
    case 'NUMBER_DOUBLE':
      return trans.__('double');
    case 'BOOLEAN':
      return trans.__('boolean');
    case 'LIST':
      return trans.__('list (JSON)');
    case 'STRUCT':
      return trans.__('struct (JSON)');
    default:
      return type.toLowerCase();
  }
}

function placeholder(field: IParameterField, trans: TranslationBundle): string {
  switch (field.type) {
    case 'NUMBER_INTEGER':
      return '10';
    case 'NUMBER_DOUBLE':
      return '0.5';
    case 'LIST':
      return '["a", "b"]';
    case 'STRUCT':
      return '{"key": "value"}';
    default:
      return field.required ? trans.__('required') : trans.__('optional');
  }
}

/** One input per parameter, typed; its error under it, tied with aria-describedby. */
function ParameterField(props: {
  form: RunFormModel;
  field: IParameterField;
  index: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { form, field, trans } = props;
  const name = field.spec.name;
  const id = `jp-KFPConnect-param-${props.index}`;
  const errorId = `${id}-error`;
  const described = [field.error ? errorId : '', field.spec.description ? `${id}-help` : '']
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name,
    'aria-invalid': field.error ? true : undefined,
    'aria-describedby': described || undefined,
    'data-param': name
  };
  let input: JSX.Element;
  if (field.type === 'BOOLEAN') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={field.checked}
        onChange={e => form.setChecked(name, e.target.checked)}
      />
    );
  } else if (field.type === 'LIST' || field.type === 'STRUCT') {
    input = (
      <textarea
        {...common}
        className="jp-mod-styled jp-KFPConnect-input jp-KFPConnect-mono"
        rows={Math.min(6, Math.max(2, field.text.split('\n').length))}
        spellCheck={false}
        value={field.text}
        placeholder={placeholder(field, trans)}
        onChange={e => form.setText(name, e.target.value)}
      />
    );
  } else {
    input = (
      <input
        {...common}
        className="jp-mod-styled jp-KFPConnect-input"
        type="text"
        inputMode={
          field.type === 'NUMBER_INTEGER'
            ? 'numeric'
            : field.type === 'NUMBER_DOUBLE'
              ? 'decimal'
              : undefined
        }
        spellCheck={false}
        value={field.text}
        placeholder={placeholder(field, trans)}
        onChange={e => form.setText(name, e.target.value)}
      />
    );
  }
  return (
    <div
      className={`jp-KFPConnect-field ${field.error ? 'jp-mod-error' : ''}`}
      data-field={name}
    >
      <label htmlFor={id} className="jp-KFPConnect-fieldLabel">
        <span className="jp-KFPConnect-mono">{name}</span>{' '}
        <span className="jp-KFPConnect-muted">
          {typeLabel(field.type, trans)}
          {field.required ? ` · ${trans.__('required')}` : ` · ${trans.__('optional')}`}
        </span>
      </label>
      {input}
      {field.spec.description && (
        <div id={`${id}-help`} className="jp-KFPConnect-muted">
          {field.spec.description}
        </div>
      )}
      {field.error && (
        <div id={errorId} className="jp-KFPConnect-fieldError" role="alert">
          {field.error}
        </div>
      )}
    </div>
  );
}

/**
 * The Create run form: run name, experiment (existing or new), one typed field per
 * parameter. Everything is checked here first; the server's errors land at their fields.
 */
export function ParameterForm(props: {
  form: RunFormModel;
  trans: TranslationBundle;
  onCreated: (run: IRun) => void;
  onCancel: () => void;
}): JSX.Element {
  const { form, trans } = props;
  useSignal(form.changed);
  const formRef = React.useRef<HTMLFormElement>(null);
  const experiment = form.experiment;
  const experimentValue =
    experiment.kind === 'existing'
      ? `id:${experiment.id}`
      : experiment.kind === 'new'
        ? 'new'
        : 'default';

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const run = await form.submit();
    if (run) {
      props.onCreated(run);
      return;
    }
    // Take the person to the first field that needs them.
    const first = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    first?.focus();
  };

  return (
    <form
      ref={formRef}
      className="jp-KFPConnect-runForm"
      aria-label={trans.__('Create run')}
      noValidate
      onSubmit={e => void submit(e)}
    >
      <div className={`jp-KFPConnect-field ${form.runNameError ? 'jp-mod-error' : ''}`}>
        <label htmlFor="jp-KFPConnect-runName" className="jp-KFPConnect-fieldLabel">
          {trans.__('Run name')}
        </label>
        <input
          id="jp-KFPConnect-runName"
          className="jp-mod-styled jp-KFPConnect-input"
          type="text"
          value={form.runName}
          aria-invalid={form.runNameError ? true : undefined}
          onChange={e => form.setRunName(e.target.value)}
        />
        {form.runNameError && (
          <div className="jp-KFPConnect-fieldError" role="alert">
            {form.runNameError}
          </div>
        )}
      </div>
      <div className={`jp-KFPConnect-field ${form.experimentError ? 'jp-mod-error' : ''}`}>
        <label htmlFor="jp-KFPConnect-experiment" className="jp-KFPConnect-fieldLabel">
          {trans.__('Experiment')}
        </label>
        <HTMLSelect
          id="jp-KFPConnect-experiment"
          value={experimentValue}
          onChange={e => {
            const value = e.target.value;
            if (value === 'default') {
              form.setExperiment({ kind: 'default' });
            } else if (value === 'new') {
              form.setExperiment({ kind: 'new', name: '' });
            } else {
              form.setExperiment({ kind: 'existing', id: value.slice(3) });
            }
          }}
        >
          <option value="default">{trans.__('Default experiment')}</option>
          {form.experiments.map(x => (
            <option key={x.experiment_id} value={`id:${x.experiment_id}`}>
              {x.display_name}
            </option>
          ))}
          <option value="new">{trans.__('New experiment…')}</option>
        </HTMLSelect>
        {experiment.kind === 'new' && (
          <input
            className="jp-mod-styled jp-KFPConnect-input"
            type="text"
            aria-label={trans.__('New experiment name')}
            placeholder={trans.__('New experiment name')}
            value={experiment.name}
            aria-invalid={form.experimentError ? true : undefined}
            onChange={e => form.setExperiment({ kind: 'new', name: e.target.value })}
          />
        )}
        {form.experimentError && (
          <div className="jp-KFPConnect-fieldError" role="alert">
            {form.experimentError}
          </div>
        )}
      </div>
      <h3 className="jp-KFPConnect-subTitle">
        {trans._n('%1 parameter', '%1 parameters', form.fields.length)}
      </h3>
      {form.fields.length === 0 && (
        <div className="jp-KFPConnect-muted">{trans.__('This pipeline takes no parameters.')}</div>
      )}
      {form.fields.map((field, index) => (
        <ParameterField
          key={field.spec.name}
          form={form}
          field={field}
          index={index}
          trans={trans}
        />
      ))}
      {form.problem && <ProblemView problem={form.problem} trans={trans} />}
      <div className="jp-KFPConnect-formButtons">
        <Button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={props.onCancel}
        >
          {trans.__('Cancel')}
        </Button>
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={form.submitting}
        >
          {form.submitting ? trans.__('Starting…') : trans.__('Start run')}
        </Button>
      </div>
      {form.errorCount > 0 && (
        <div className="jp-KFPConnect-fieldError" role="status">
          {trans._n(
            '%1 field needs a fix before the run can start.',
            '%1 fields need a fix before the run can start.',
            form.errorCount
          )}
        </div>
      )}
    </form>
  );
}
