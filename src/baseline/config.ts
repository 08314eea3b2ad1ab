// Baseline settings read through the agent's configuration loader (src/config). The settings
// themselves, and a loader that skips this module when there is no file, are in settings.ts.
import { defaultConfig } from '../config/defaults.js';
import { loadConfig } from '../config/load.js';
import {
  configLoadOptions,
  readsConfigFile,
  settingsFromConfig,
  type BaselineSettings,
  type SettingsFlags,
} from './settings.js';

export {
  DEFAULT_STATE_DIR,
  loadSettingsLazy,
  parseDigests,
  type BaselineSettings,
  type SettingsFlags,
} from './settings.js';

export function loadSettings(flags: SettingsFlags): BaselineSettings {
  // Without a file to read, the settings are the defaults: skip the loader (and the schema
  // compile it does for the empty flag layer, ~80 ms of every baseline command's start).
  const r = readsConfigFile(flags)
    ? loadConfig(configLoadOptions(flags))
    : { config: defaultConfig(), diagnostics: [] };
  return settingsFromConfig(r, flags);
}
