import { KFPService, toProblem } from './api';
import {
  IPipeline,
  IPipelineVersion,
  IProblem,
  Scope,
  UploadSource
} from './tokens';

/** What the upload dialog asks the server to do. */
export interface IUploadRequest {
  source: UploadSource;
  /** A new pipeline, or a new version of `pipelineId`. */
  mode: 'pipeline' | 'version';
  pipelineId?: string;
  name: string;
  /** Human-readable name, sent apart from the name (KFP 2.14+). */
  displayName?: string;
  description: string;
  scope: Scope;
}

/** A pipeline with the same name exists: the dialog offers a new version of it. */
export interface IDuplicate {
  name: string;
  pipelineId: string | null;
}

export type UploadOutcome =
  | { ok: true; pipeline: IPipeline | null; version: IPipelineVersion | null }
  | { ok: false; problem: IProblem; duplicate: IDuplicate | null };

/** The name of the file a source points at (for the default pipeline name). */
export function sourceName(source: UploadSource): string {
  const full = 'file' in source ? source.file.name : source.path;
  return full.split('/').pop() ?? full;
}

/** `my_pipeline.tar.gz` -> `my_pipeline`: a default name when the spec has none. */
export function baseName(fileName: string): string {
  return fileName.replace(/\.(tar\.gz|tgz|ya?ml|json|zip)$/i, '');
}

/** Upload, and turn a duplicate-name refusal into an offer to add a version instead. */
export async function runUpload(
  service: KFPService,
  request: IUploadRequest
): Promise<UploadOutcome> {
  const options = {
    name: request.name.trim() || undefined,
    display_name: request.displayName?.trim() || undefined,
    description: request.description.trim() || undefined,
    scope: request.scope
  };
  try {
    const reply =
      request.mode === 'version' && request.pipelineId
        ? await service.uploadVersion(request.pipelineId, request.source, options)
        : await service.uploadPipeline(request.source, options);
    return {
      ok: true,
      pipeline: reply?.pipeline ?? null,
      version: reply?.version ?? null
    };
  } catch (error) {
    const problem = toProblem(error);
    let duplicate: IDuplicate | null = null;
    if (problem.code === 'duplicate_name' && request.mode === 'pipeline') {
      const details = (problem.details ?? {}) as Record<string, unknown>;
      const id = details.pipeline_id;
      duplicate = {
        name: String(details.name ?? request.name),
        pipelineId: typeof id === 'string' && id ? id : null
      };
      if (!duplicate.pipelineId) {
        duplicate.pipelineId = await findPipelineId(
          service,
          request.scope,
          duplicate.name
        );
      }
    }
    return { ok: false, problem, duplicate };
  }
}

/** Find a pipeline by exact name in a scope (KFP searches by substring). */
export async function findPipelineId(
  service: KFPService,
  scope: Scope,
  name: string
): Promise<string | null> {
  try {
    const page = await service.listPipelines({
      scope,
      search: name,
      page_size: 50
    });
    const hit = (page.pipelines ?? []).find(
      p => p.display_name === name || p.name === name
    );
    return hit?.id ?? null;
  } catch {
    return null;
  }
}
