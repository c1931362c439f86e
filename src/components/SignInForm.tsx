import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ConnectionModel } from '../model';
import { ILoginRequest, IStatus } from '../tokens';

type Method = ILoginRequest['auth'];

/** What the person filled in (secrets included, until submit). */
export interface ISignInFields {
  method: Method;
  host: string;
  username: string;
  password: string;
  connector: string;
  keep: boolean;
  secret: string;
  /** The "Don't verify the TLS certificate" box. */
  skipVerify: boolean;
}

/**
 * Whether the form offers turning TLS verification off: only when the server says its admin
 * allows it (`allow_insecure_tls`; a server that does not say is not offered the box), and
 * only for an https endpoint (the configured one, else the one typed): plain http has no
 * certificate to skip.
 */
export function offersSkipVerification(
  status: IStatus | null | undefined,
  typedHost = ''
): boolean {
  const endpoint = (status?.host || typedHost).trim();
  return status?.allow_insecure_tls === true && /^https:\/\//i.test(endpoint);
}

/** The POST login body for what was filled in (the endpoint only when none is configured). */
export function loginRequest(
  fields: ISignInFields,
  status: IStatus | null | undefined
): ILoginRequest {
  const request: ILoginRequest = { auth: fields.method };
  if (!status?.host) {
    request.host = fields.host.trim();
  }
  if (fields.method === 'dex') {
    request.username = fields.username.trim();
    request.password = fields.password;
    request.connector = fields.connector;
    request.keep_signed_in = fields.keep;
  } else if (fields.method === 'token') {
    request.token = fields.secret.trim();
  } else if (fields.method === 'cookie') {
    request.cookie = fields.secret.trim();
  }
  if (fields.skipVerify && offersSkipVerification(status, fields.host)) {
    request.verify_ssl = false;
  }
  return request;
}

/** The method the form opens with: what the server detected, Dex otherwise. */
function initialMethod(auth: string | undefined): Method {
  return auth === 'token' || auth === 'cookie' || auth === 'none'
    ? auth
    : 'dex';
}

/**
 * Sign-in: Dex username/password/connector, a bearer token, or a session cookie; the
 * endpoint too when none is configured. Secrets live in this component's state only
 * until submit, and are cleared right after it (success or not).
 */
export function SignInForm(props: {
  model: ConnectionModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const status = model.status;
  const [method, setMethod] = React.useState<Method>(
    initialMethod(status?.auth)
  );
  const [host, setHost] = React.useState(status?.host ?? '');
  // After an expiry the name is known: only the password is asked again.
  const [username, setUsername] = React.useState(status?.username ?? '');
  const [password, setPassword] = React.useState('');
  const [connector, setConnector] = React.useState(
    status?.connector || 'local'
  );
  const [keep, setKeep] = React.useState(Boolean(status?.keep_signed_in));
  const [secret, setSecret] = React.useState('');
  const needsHost = !status?.host;
  const expired = status?.state === 'expired';

  const [skipVerify, setSkipVerify] = React.useState(false);
  const offerSkip = offersSkipVerification(status, host);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const request = loginRequest(
      {
        method,
        host,
        username,
        password,
        connector,
        keep,
        secret,
        skipVerify
      },
      status
    );
    // Never keep a secret in the front end longer than the request.
    setPassword('');
    setSecret('');
    await model.login(request);
  };

  const id = (name: string) => `jp-KFPConnect-signin-${name}`;
  return (
    <form
      className="jp-KFPConnect-signin"
      onSubmit={submit}
      aria-label={trans.__('Sign in to Kubeflow Pipelines')}
    >
      <div className="jp-KFPConnect-sectionTitle">
        {expired
          ? trans.__('Your session expired: sign in again')
          : trans.__('Sign in to Kubeflow Pipelines')}
      </div>
      {needsHost && (
        <label className="jp-KFPConnect-field" htmlFor={id('host')}>
          <span>{trans.__('Endpoint')}</span>
          <InputGroup
            id={id('host')}
            name="host"
            type="url"
            required
            placeholder="https://kubeflow.example.com/pipeline"
            value={host}
            onChange={e => setHost(e.target.value)}
          />
        </label>
      )}
      <label className="jp-KFPConnect-field" htmlFor={id('method')}>
        <span>{trans.__('Sign in with')}</span>
        <HTMLSelect
          id={id('method')}
          name="method"
          value={method}
          onChange={e => setMethod(e.target.value as Method)}
          options={[
            { value: 'dex', label: trans.__('Dex account') },
            { value: 'token', label: trans.__('Bearer token') },
            { value: 'cookie', label: trans.__('Session cookie') },
            { value: 'none', label: trans.__('No authentication') }
          ]}
        />
      </label>
      {method === 'dex' && (
        <>
          <label className="jp-KFPConnect-field" htmlFor={id('username')}>
            <span>{trans.__('Username')}</span>
            <InputGroup
              id={id('username')}
              name="username"
              autoComplete="username"
              required
              placeholder={trans.__('Your Kubeflow login (often an email)')}
              value={username}
              onChange={e => setUsername(e.target.value)}
            />
          </label>
          <label className="jp-KFPConnect-field" htmlFor={id('password')}>
            <span>{trans.__('Password')}</span>
            <InputGroup
              id={id('password')}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={e => setPassword(e.target.value)}
            />
          </label>
          <label className="jp-KFPConnect-field" htmlFor={id('connector')}>
            <span>{trans.__('Connector')}</span>
            <HTMLSelect
              id={id('connector')}
              name="connector"
              value={connector}
              onChange={e => setConnector(e.target.value)}
              options={[
                { value: 'local', label: trans.__('Local (static passwords)') },
                { value: 'ldap', label: trans.__('LDAP') }
              ]}
            />
          </label>
          <label className="jp-KFPConnect-check">
            <input
              type="checkbox"
              name="keep_signed_in"
              checked={keep}
              onChange={e => setKeep(e.target.checked)}
            />
            <span>
              {trans.__(
                'Keep me signed in for this server session (the server holds the password in memory)'
              )}
            </span>
          </label>
        </>
      )}
      {(method === 'token' || method === 'cookie') && (
        <label className="jp-KFPConnect-field" htmlFor={id('secret')}>
          <span>
            {method === 'token'
              ? trans.__('Bearer token')
              : trans.__('Cookie header (name=value; ...)')}
          </span>
          <InputGroup
            id={id('secret')}
            name={method}
            type="password"
            autoComplete="off"
            required
            value={secret}
            onChange={e => setSecret(e.target.value)}
          />
        </label>
      )}
      {offerSkip && (
        <label className="jp-KFPConnect-check">
          <input
            type="checkbox"
            name="skip_tls_verify"
            checked={skipVerify}
            onChange={e => setSkipVerify(e.target.checked)}
          />
          <span>
            {trans.__(
              "Don't verify the TLS certificate (test clusters only)"
            )}
          </span>
        </label>
      )}
      <div className="jp-KFPConnect-actions">
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={model.busy}
        >
          {model.busy ? trans.__('Signing in…') : trans.__('Sign in')}
        </Button>
      </div>
    </form>
  );
}
