import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  HTMLSelect,
  caretLeftIcon,
  fileUploadIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { KFPService } from '../api';
import {
  confirmDelete,
  deletePipelineText,
  deleteVersionText
} from '../confirmations';
import {
  IPipeline,
  IPipelineVersion,
  IProblem,
  ISpecSummary,
  IStatus
} from '../tokens';
import { kfpUiLink } from '../kfpLinks';
import { defaultPair } from '../model/compare';
import { specCounts } from '../model/specSummary';
import { formatTime } from './hooks';
import { KfpUiLink } from './KfpUiLink';
import { MoreMenu } from './MoreMenu';
import { ProblemView } from './ProblemView';

/** KFP's parameter types as a person reads them: NUMBER_INTEGER -> int (the SDK's Python names). */
export function paramType(type: string): string {
  const short = type.replace(/^PARAMETER_TYPE_/, '');
  const names: Record<string, string> = {
    NUMBER_INTEGER: 'int',
    NUMBER_DOUBLE: 'float',
    STRING: 'str',
    BOOLEAN: 'bool',
    LIST: 'list',
    STRUCT: 'dict',
    TASK_FINAL_STATUS: 'task status'
  };
  return names[short] ?? short.toLowerCase();
}

function displayValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A pipeline: versions, description, parameters, tasks, KFP UI links, delete. */
export function PipelineDetail(props: {
  service: KFPService;
  status: IStatus | null;
  pipelineId: string;
  trans: TranslationBundle;
  onBack: () => void;
  onDeleted: (pipelineId: string) => void;
  onUploadVersion: (pipeline: IPipeline) => void;
  /** Export the version as Kubernetes manifests, or apply it to the cluster. */
  versionActions?: {
    exportVersion: (pipelineId: string, versionId: string) => void;
    applyVersion: (pipelineId: string, versionId: string) => void;
  } | null;
  /** Open the pipeline at a version in the main area (graph, Create run). */
  onOpenView?: (pipelineId: string, versionId?: string) => void;
  /** Compare two versions side by side in the main area. */
  onCompare?: (pipelineId: string, left: string, right: string) => void;
  onError: (error: unknown) => IProblem;
  /** Bumped by the panel after an upload so the versions reload. */
  reloadKey?: number;
  /** The version to show after a reload (the one just uploaded). */
  selectVersion?: string | null;
  /** The name the list showed, for the heading while the detail loads. */
  knownName?: string;
}): JSX.Element {
  const { service, status, pipelineId, trans, onError } = props;
  const [pipeline, setPipeline] = React.useState<IPipeline | null>(null);
  const [versions, setVersions] = React.useState<IPipelineVersion[]>([]);
  const [totalVersions, setTotalVersions] = React.useState(0);
  const [olderToken, setOlderToken] = React.useState('');
  const [loadingOlder, setLoadingOlder] = React.useState(false);
  const [versionId, setVersionId] = React.useState('');
  const [summary, setSummary] = React.useState<ISpecSummary | null>(null);
  const [summaryDone, setSummaryDone] = React.useState(false);
  const [version, setVersion] = React.useState<IPipelineVersion | null>(null);
  const [problem, setProblem] = React.useState<IProblem | null>(null);
  const [loading, setLoading] = React.useState(true);
  const [reload, setReload] = React.useState(0);

  React.useEffect(() => {
    let live = true;
    setLoading(true);
    setProblem(null);
    service
      .getPipeline(pipelineId)
      .then(data => {
        if (!live) {
          return;
        }
        const sorted = data.versions; // newest first (KFPService.getPipeline)
        setPipeline(data.pipeline);
        setVersions(sorted);
        setTotalVersions(Math.max(data.total, sorted.length));
        setOlderToken(data.nextPageToken);
        const wanted = props.selectVersion;
        setVersionId(current =>
          wanted && sorted.some(v => v.id === wanted)
            ? wanted
            : sorted.some(v => v.id === current)
              ? current
              : (sorted[0]?.id ?? '')
        );
      })
      .catch(error => live && setProblem(onError(error)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [pipelineId, reload, props.reloadKey]);

  React.useEffect(() => {
    let live = true;
    setSummary(null);
    setSummaryDone(false);
    setVersion(null);
    if (!versionId) {
      return;
    }
    service
      .getVersion(pipelineId, versionId)
      .then(data => {
        if (live) {
          setVersion(data.version);
          setSummary(data.summary);
        }
      })
      .catch(error => live && setProblem(onError(error)))
      .finally(() => live && setSummaryDone(true));
    return () => {
      live = false;
    };
  }, [pipelineId, versionId]);

  /** The next page of older versions (KFP pages them 200 at a time). */
  const loadOlder = async () => {
    setLoadingOlder(true);
    try {
      const data = await service.getPipeline(pipelineId, olderToken);
      setVersions(current => {
        const seen = new Set(current.map(v => v.id));
        return [...current, ...data.versions.filter(v => !seen.has(v.id))];
      });
      setOlderToken(data.nextPageToken);
    } catch (error) {
      setProblem(onError(error));
    } finally {
      setLoadingOlder(false);
    }
  };

  const name =
    pipeline?.display_name || pipeline?.name || props.knownName || pipelineId;
  const selected =
    version ?? versions.find(v => v.id === versionId) ?? null;
  const versionName = selected?.display_name || selected?.name || versionId;

  const deletePipeline = async () => {
    const ok = await confirmDelete(
      trans,
      trans.__('Delete pipeline'),
      deletePipelineText(trans, name, totalVersions)
    );
    if (!ok) {
      return;
    }
    try {
      await service.deletePipeline(pipelineId);
      props.onDeleted(pipelineId);
    } catch (error) {
      setProblem(onError(error));
    }
  };

  const deleteVersion = async () => {
    if (!selected) {
      return;
    }
    const ok = await confirmDelete(
      trans,
      trans.__('Delete version'),
      deleteVersionText(trans, name, versionName, totalVersions)
    );
    if (!ok) {
      return;
    }
    try {
      await service.deleteVersion(pipelineId, selected.id);
      setVersionId('');
      setReload(n => n + 1);
    } catch (error) {
      setProblem(onError(error));
    }
  };

  const download = async () => {
    if (!selected) {
      return;
    }
    try {
      const pkg = await service.versionPackage(pipelineId, selected.id);
      const url = URL.createObjectURL(
        new Blob([pkg.yaml], { type: 'application/yaml' })
      );
      const a = document.createElement('a');
      a.href = url;
      a.download = pkg.filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      setProblem(onError(error));
    }
  };

  const comparePair = selected ? defaultPair(versions, selected.id) : null;
  const pipelineLink = pipeline?.ui_url || kfpUiLink(status, pipelineId);
  const versionLink =
    selected &&
    (selected.ui_url ||
      kfpUiLink(status, pipelineId, selected.id));

  return (
    <div
      className="jp-KFPConnect-detail"
      aria-busy={loading}
      onKeyDown={e => {
        // Escape goes back to the list (menus and dialogs stop their own Escape first).
        if (e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault();
          props.onBack();
        }
      }}
    >
      <div className="jp-KFPConnect-detailBar">
        <Button
          minimal
          small
          className="jp-KFPConnect-back"
          autoFocus
          onClick={props.onBack}
          aria-label={trans.__('Back to the list')}
        >
          <caretLeftIcon.react tag="span" /> {trans.__('Pipelines')}
        </Button>
      </div>
      <div className="jp-KFPConnect-detailBody">
        <h2 className="jp-KFPConnect-detailTitle jp-KFPConnect-ellipsis" title={name}>
          {name}
        </h2>
        {problem && (
          <ProblemView
            problem={problem}
            trans={trans}
            onDismiss={() => setProblem(null)}
          />
        )}
        {loading && !pipeline && <div>{trans.__('Loading…')}</div>}
        {pipeline && (
          <>
            <dl className="jp-KFPConnect-facts">
              <dt>{trans.__('Where')}</dt>
              <dd>{pipeline.namespace || trans.__('Shared')}</dd>
              <dt>{trans.__('Created')}</dt>
              <dd>{formatTime(pipeline.created_at)}</dd>
              {pipeline.description && (
                <>
                  <dt>{trans.__('Description')}</dt>
                  <dd className="jp-KFPConnect-description">
                    {pipeline.description}
                  </dd>
                </>
              )}
              <dt>{trans.__('ID')}</dt>
              <dd className="jp-KFPConnect-mono">{pipelineId}</dd>
            </dl>
            <div className="jp-KFPConnect-actions">
              {pipelineLink && (
                <KfpUiLink
                  href={pipelineLink}
                  label={trans.__('Open in KFP UI')}
                  status={status}
                  trans={trans}
                />
              )}
              <Button
                small
                className="jp-mod-styled"
                onClick={() => props.onUploadVersion(pipeline)}
              >
                <fileUploadIcon.react tag="span" className="jp-KFPConnect-inlineIcon" />
                {trans.__('Upload version')}
              </Button>
              <MoreMenu
                label={trans.__('More pipeline actions')}
                items={[
                  {
                    id: 'copy-pipeline-id',
                    label: trans.__('Copy pipeline ID'),
                    onSelect: () => Clipboard.copyToSystem(pipelineId)
                  },
                  {
                    id: 'delete-pipeline',
                    label: trans.__('Delete pipeline…'),
                    danger: true,
                    onSelect: () => void deletePipeline()
                  }
                ]}
              />
            </div>
            <h3 className="jp-KFPConnect-subTitle">
              {trans.__('Versions (%1)', totalVersions)}
            </h3>
            {versions.length > 0 && (
              <HTMLSelect
                className="jp-KFPConnect-versionSelect"
                aria-label={trans.__('Version')}
                value={versionId}
                onChange={e => setVersionId(e.target.value)}
                options={versions.map(v => ({
                  value: v.id,
                  label: `${v.display_name || v.name || v.id} · ${formatTime(v.created_at)}`
                }))}
              />
            )}
            {olderToken && (
              <Button
                small
                className="jp-mod-styled jp-KFPConnect-olderVersions"
                disabled={loadingOlder}
                onClick={() => void loadOlder()}
              >
                {trans.__(
                  'Load older versions (%1 of %2 shown)',
                  versions.length,
                  totalVersions
                )}
              </Button>
            )}
            {selected && (
              <div className="jp-KFPConnect-version">
                {selected.description && (
                  <p className="jp-KFPConnect-description">
                    {selected.description}
                  </p>
                )}
                <div className="jp-KFPConnect-actions">
                  {props.onOpenView && (
                    <Button
                      small
                      className="jp-mod-styled"
                      onClick={() => props.onOpenView?.(pipelineId, selected.id)}
                    >
                      {trans.__('Open version')}
                    </Button>
                  )}
                  {versionLink && (
                    <KfpUiLink
                      href={versionLink}
                      label={trans.__('Open version in KFP UI')}
                      status={status}
                      trans={trans}
                    />
                  )}
                  {props.versionActions && (
                    <>
                      <Button
                        small
                        className="jp-mod-styled jp-KFPConnect-exportManifests"
                        title={trans.__('Pipeline and PipelineVersion YAML for kubectl or GitOps')}
                        onClick={() =>
                          props.versionActions?.exportVersion(pipelineId, selected.id)
                        }
                      >
                        {trans.__('Export manifests')}
                      </Button>
                      <Button
                        small
                        className="jp-mod-styled jp-KFPConnect-applyManifests"
                        title={trans.__('Create or update the objects in your namespace')}
                        onClick={() =>
                          props.versionActions?.applyVersion(pipelineId, selected.id)
                        }
                      >
                        {trans.__('Apply to Kubernetes')}
                      </Button>
                    </>
                  )}
                  <MoreMenu
                    label={trans.__('More version actions')}
                    items={[
                      ...(props.onCompare && comparePair
                        ? [
                            {
                              id: 'compare-versions',
                              label:
                                comparePair.right === selected.id
                                  ? trans.__('Compare with previous version')
                                  : trans.__('Compare with next version'),
                              onSelect: () =>
                                props.onCompare?.(
                                  pipelineId,
                                  comparePair.left,
                                  comparePair.right
                                )
                            }
                          ]
                        : []),
                      {
                        id: 'download-version',
                        label: trans.__('Download package (YAML)'),
                        onSelect: () => void download()
                      },
                      {
                        id: 'copy-version-id',
                        label: trans.__('Copy version ID'),
                        onSelect: () => Clipboard.copyToSystem(selected.id)
                      },
                      {
                        id: 'delete-version',
                        label: trans.__('Delete version…'),
                        danger: true,
                        onSelect: () => void deleteVersion()
                      }
                    ]}
                  />
                </div>
                <SpecSummary summary={summary} done={summaryDone} trans={trans} />
              </div>
            )}
          </>
        )}
      </div>
    </div>
  );
}

/** Parameters (type, default) and tasks (with what each waits for). */
function SpecSummary(props: {
  summary: ISpecSummary | null;
  /** The version's answer (or its failure) is in. */
  done: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { summary, done, trans } = props;
  if (!summary) {
    return (
      <div className="jp-KFPConnect-muted">
        {done
          ? trans.__('No pipeline spec to summarise for this version.')
          : trans.__('Loading…')}
      </div>
    );
  }
  const counts = specCounts(summary);
  return (
    <>
      <h3 className="jp-KFPConnect-subTitle">{trans.__('Parameters')}</h3>
      {counts.parametersCut && (
        <div className="jp-KFPConnect-muted">
          {trans.__(
            'This pipeline is large: the first %1 of its %2 parameters are listed.',
            summary.parameters.length,
            counts.parameters
          )}
        </div>
      )}
      {summary.parameters.length === 0 ? (
        <div className="jp-KFPConnect-muted">{trans.__('No parameters.')}</div>
      ) : (
        <table className="jp-KFPConnect-params">
          <thead>
            <tr>
              <th scope="col">{trans.__('Name')}</th>
              <th scope="col">{trans.__('Type')}</th>
              <th scope="col">{trans.__('Default')}</th>
            </tr>
          </thead>
          <tbody>
            {summary.parameters.map(p => (
              <tr key={p.name} title={p.description || undefined}>
                <td className="jp-KFPConnect-mono jp-KFPConnect-ellipsis" title={p.name}>
                  {p.name}
                </td>
                <td className="jp-KFPConnect-paramType">
                  {paramType(p.type)}
                </td>
                <td className="jp-KFPConnect-mono">
                  {p.has_default === false && !p.optional
                    ? trans.__('(required)')
                    : displayValue(p.default)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 className="jp-KFPConnect-subTitle">
        {trans.__('Tasks (%1)', counts.tasks)}
      </h3>
      {counts.tasksCut && (
        <div className="jp-KFPConnect-muted">
          {trans.__(
            'This pipeline is large: the first %1 of its %2 tasks are listed.',
            summary.tasks.length,
            counts.tasks
          )}
        </div>
      )}
      <ol className="jp-KFPConnect-tasks">
        {summary.tasks.map(t => (
          <li key={t.name} data-task={t.name}>
            <span className="jp-KFPConnect-taskName">
              {t.display_name || t.name}
            </span>
            {t.dependencies.length > 0 && (
              <span className="jp-KFPConnect-muted">
                {' '}
                {trans.__('after %1', t.dependencies.join(', '))}
              </span>
            )}
            {t.condition && (
              <span className="jp-KFPConnect-muted">
                {' '}
                {trans.__('if %1', t.condition)}
              </span>
            )}
            {t.loop && (
              <span className="jp-KFPConnect-muted"> {trans.__('(loop)')}</span>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}
