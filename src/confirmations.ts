import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

/** What deleting a pipeline removes, said so that 0 and 1 versions read right. */
export function deletePipelineText(
  trans: TranslationBundle,
  name: string,
  versions: number
): string {
  if (versions <= 0) {
    return trans.__('Delete “%1”? It has no versions. This cannot be undone.', name);
  }
  return trans._n(
    'Delete “%2” and its only version? This cannot be undone.',
    'Delete “%2” and all its %1 versions? This cannot be undone.',
    versions,
    name
  );
}

/** What deleting a version leaves behind, and what to do when it was the last one. */
export function deleteVersionText(
  trans: TranslationBundle,
  pipeline: string,
  version: string,
  versions: number
): string {
  if (versions <= 1) {
    return trans.__(
      '“%1” is the only version of “%2”. Deleting it leaves “%2” with no versions: nothing can run it until you upload a new version. To remove the pipeline altogether, choose Delete pipeline instead. This cannot be undone.',
      version,
      pipeline
    );
  }
  return trans._n(
    'Delete version “%2” of “%3”? %1 other version remains. This cannot be undone.',
    'Delete version “%2” of “%3”? %1 other versions remain. This cannot be undone.',
    versions - 1,
    version,
    pipeline
  );
}

/**
 * Ask before destroying something. Cancel is the default button (focused; Enter cancels), so
 * only a deliberate click or Tab to Delete deletes.
 */
export async function confirmDelete(
  trans: TranslationBundle,
  title: string,
  body: string
): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ],
    defaultButton: 0
  });
  return result.button.accept;
}
