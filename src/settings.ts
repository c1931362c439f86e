import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { IPanelSettings, Scope } from './tokens';

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
