/**
 * Kubernetes object names for pipelines and versions (KFP's Kubernetes-native store,
 * healthz `pipeline_store: "kubernetes"`): DNS-1123 subdomains, at most 253 characters.
 * The server checks again (`names/check`, and before every upload); this copy lets the
 * upload dialog show the name it will use while the person types.
 */

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** KFP's own ceiling for a pipeline name over REST (below Kubernetes' 253). */
export const MAX_PIPELINE_NAME = 128;

export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && SUBDOMAIN.test(name);
}

/** A valid name that reads like `text`: "My Pipeline (v2)" -> "my-pipeline-v2". */
export function proposeName(text: string, limit = MAX_PIPELINE_NAME): string {
  let folded = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/-*\.+-*/g, '.')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
  if (!folded) {
    return 'pipeline';
  }
  folded = folded.slice(0, limit).replace(/[-.]+$/, '');
  return folded || 'pipeline';
}
