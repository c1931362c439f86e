import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { TranslationBundle } from '@jupyterlab/translation';

import { KFPService } from '../api';
import { RunListModel } from '../model/runList';
import { StartedRunsWatcher } from '../model/startedRuns';
import { IConnectionModel, IRunFilter } from '../tokens';

/** What every main-area view needs: the service, the shared models, and how to open the others. */
export interface IViewContext {
  service: KFPService;
  connection: IConnectionModel;
  runs: RunListModel;
  watcher: StartedRunsWatcher;
  trans: TranslationBundle;
  /** JupyterLab's editor languages (YAML highlighting in the compare view), if present. */
  languages?: IEditorLanguageRegistry | null;
  openPipeline: (pipelineId: string, versionId?: string) => void;
  openRun: (runId: string) => void;
  openRuns: (filter?: Partial<IRunFilter>) => void;
  /** Two versions of a pipeline side by side (empty ids: the newest and the one before). */
  openCompare: (pipelineId: string, left?: string, right?: string) => void;
}
