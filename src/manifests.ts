import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { IManifestSource, KFPService, toProblem } from './api';

/** Where an exported file goes: beside the package, or in the folder the browser shows. */
function targetPath(folder: string, filename: string): string {
  return folder ? `${folder.replace(/\/+$/, '')}/${filename}` : filename;
}

/**
 * Export Pipeline + PipelineVersion manifests (kfp's own writer, on the server), save them
 * in the Jupyter root and open them; a notification says what was renamed to fit Kubernetes.
 */
export async function exportManifests(
  app: JupyterFrontEnd,
  service: KFPService,
  trans: TranslationBundle,
  source: IManifestSource,
  folder: string
): Promise<string | null> {
  try {
    const exported = await service.exportManifests(source);
    const path = targetPath(folder, exported.filename);
    await app.serviceManager.contents.save(path, {
      type: 'file',
      format: 'text',
      content: exported.yaml
    });
    await app.commands.execute('docmanager:open', { path });
    const renamed = exported.renamed
      .map(r => trans.__('%1 “%2” is “%3”', r.field, r.from, r.to))
      .join('; ');
    Notification.success(
      renamed
        ? trans.__('Kubernetes manifests saved as %1 (%2).', path, renamed)
        : trans.__('Kubernetes manifests saved as %1.', path),
      { autoClose: 5000 }
    );
    return path;
  } catch (error) {
    const problem = toProblem(error);
    Notification.error(`${problem.message} ${problem.fix ?? ''}`.trim(), {
      autoClose: false
    });
    return null;
  }
}

/** Create or update the objects in the cluster, after the person confirms. */
export async function applyManifests(
  service: KFPService,
  trans: TranslationBundle,
  source: IManifestSource
): Promise<boolean> {
  try {
    const access = await service.manifestAccess(source.namespace ?? '');
    if (!access.available || !access.allowed) {
      Notification.warning(
        access.available
          ? trans.__(
              'You may not create pipelines as Kubernetes objects in %1; export the manifests and hand them to whoever deploys there.',
              access.namespace
            )
          : trans.__(
              'This server knows no Kubernetes API; export the manifests and apply them with kubectl or GitOps.'
            ),
        { autoClose: false }
      );
      return false;
    }
    const answer = await showDialog({
      title: trans.__('Apply to Kubernetes'),
      body: trans.__(
        'Create or update this pipeline version as Pipeline and PipelineVersion objects in namespace %1?',
        access.namespace
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Apply') })
      ]
    });
    if (!answer.button.accept) {
      return false;
    }
    const result = await service.applyManifests(source);
    Notification.success(
      result.results
        .map(r => trans.__('%1 %2: %3', r.kind, r.name, r.action))
        .join('; '),
      { autoClose: 5000 }
    );
    return true;
  } catch (error) {
    const problem = toProblem(error);
    Notification.error(`${problem.message} ${problem.fix ?? ''}`.trim(), {
      autoClose: false
    });
    return false;
  }
}
