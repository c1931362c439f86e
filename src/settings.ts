import { ISettingRegistry } from '@jupyterlab/settingregistry';

import type { ConnectionModel, PipelineListModel } from './model';
import { IPanelSettings, PLUGIN_ID, Scope } from './tokens';

/** Defaults, identical to schema/plugin.json (the schema is what users see). */
export const DEFAULT_SETTINGS: IPanelSettings = {
  defaultScope: 'private',
  pageSize: 50,
  searchDebounceMs: 300,
  defaultSort: 'created_at desc',
  statusPollSeconds: 60
};

/** KFP accepts at most 200 items per page. */
const MAX_PAGE_SIZE = 200;

/** Read the composite settings, clamped to what KFP accepts. */
export function readSettings(
  settings: ISettingRegistry.ISettings | null
): IPanelSettings {
  const get = <K extends keyof IPanelSettings>(key: K): IPanelSettings[K] => {
    const value = settings?.composite[key];
    return (value ?? DEFAULT_SETTINGS[key]) as IPanelSettings[K];
  };
  const scope = get('defaultScope');
  return {
    defaultScope: (scope === 'shared' ? 'shared' : 'private') as Scope,
    pageSize: Math.min(MAX_PAGE_SIZE, Math.max(1, Math.round(get('pageSize')))),
    searchDebounceMs: Math.max(0, get('searchDebounceMs')),
    defaultSort: get('defaultSort') || DEFAULT_SETTINGS.defaultSort,
    statusPollSeconds: Math.max(0, get('statusPollSeconds'))
  };
}

/**
 * Load the settings into the models (before the first list is fetched) and follow
 * later changes; without a registry, the defaults apply.
 */
export async function applySettings(
  registry: ISettingRegistry | null,
  connection: ConnectionModel,
  pipelines: PipelineListModel
): Promise<void> {
  const apply = (settings: ISettingRegistry.ISettings | null) => {
    const s = readSettings(settings);
    pipelines.configure({
      pageSize: s.pageSize,
      searchDebounceMs: s.searchDebounceMs
    });
    connection.startPolling(s.statusPollSeconds);
    return s;
  };
  if (!registry) {
    apply(null);
    return;
  }
  try {
    const settings = await registry.load(PLUGIN_ID);
    const first = apply(settings);
    pipelines.configure({ scope: first.defaultScope, sortBy: first.defaultSort });
    settings.changed.connect(() => apply(settings));
  } catch (reason) {
    console.warn('jupyter_kfp_connect: settings not loaded', reason);
    apply(null);
  }
}
