import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ConnectionModel } from '../model';

const OTHER = '\u0000other';

/** The namespaces the server offers, plus manual entry (always possible). */
export function NamespacePicker(props: {
  model: ConnectionModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const current = model.status?.namespace ?? '';
  const offered = (model.namespaces?.namespaces ?? []).map(n => n.name);
  if (current && !offered.includes(current)) {
    offered.unshift(current);
  }
  const [manualChosen, setManual] = React.useState(false);
  const manual = manualChosen || offered.length === 0;
  const [typed, setTyped] = React.useState('');

  const apply = (event?: React.FormEvent) => {
    event?.preventDefault();
    if (typed.trim()) {
      // Typed by hand: the server lists pipelines there first and refuses without access.
      void model.setNamespace(typed.trim(), true).then(ok => {
        if (ok) {
          setManual(false);
          setTyped('');
        }
      });
    }
  };

  return (
    <div className="jp-KFPConnect-namespace">
      <label htmlFor="jp-KFPConnect-namespace-select">
        {trans.__('Namespace')}
      </label>
      {!manual ? (
        <HTMLSelect
          id="jp-KFPConnect-namespace-select"
          aria-label={trans.__('Namespace')}
          title={current}
          value={current}
          disabled={model.busy}
          onChange={e => {
            if (e.target.value === OTHER) {
              setManual(true);
            } else {
              void model.setNamespace(e.target.value);
            }
          }}
          options={[
            ...offered.map(name => {
              const role = model.namespaces?.namespaces.find(
                n => n.name === name
              )?.role;
              return {
                value: name,
                label: role
                  ? trans.__('%1 (%2)', name, roleLabel(role, trans))
                  : name
              };
            }),
            { value: OTHER, label: trans.__('Other namespace…') }
          ]}
        />
      ) : (
        <form className="jp-KFPConnect-namespaceForm" onSubmit={apply}>
          <InputGroup
            id="jp-KFPConnect-namespace-input"
            aria-label={trans.__('Namespace name')}
            placeholder={current || trans.__('namespace')}
            value={typed}
            autoFocus
            onChange={e => setTyped(e.target.value)}
            onKeyDown={e => {
              if (e.key === 'Escape' && offered.length) {
                setManual(false);
              }
            }}
          />
          <Button type="submit" small className="jp-mod-styled">
            {trans.__('Use')}
          </Button>
          {offered.length > 0 && (
            <Button
              type="button"
              small
              minimal
              onClick={() => setManual(false)}
            >
              {trans.__('Cancel')}
            </Button>
          )}
        </form>
      )}
    </div>
  );
}

/** The dashboard's role names, in the user's language. */
function roleLabel(role: string, trans: TranslationBundle): string {
  switch (role) {
    case 'owner':
      return trans.__('owner');
    case 'contributor':
      return trans.__('contributor');
    case 'viewer':
      return trans.__('viewer');
    case 'pod':
      return trans.__('this pod');
    case 'config':
      return trans.__('server default');
    case 'chosen':
      return trans.__('chosen');
    default:
      return role;
  }
}
