// The config stage: the agent's settings (types), their embedded defaults, and loadConfig() which
// lays the configuration file and the command-line flags over them with located diagnostics.
export type {
  AgentConfig,
  AgentMode,
  ApiSettings,
  BaselineSettingsConfig,
  ConfigAlertFormat,
  ConfigFlags,
  ConfigPosture,
  EnrichSettings,
  FileSinkSettings,
  ListenSettings,
  LogLevel,
  LogSettings,
  PostureSettings,
  SensorChoice,
  SinkSettings,
  StdoutSinkSettings,
  StoreSinkSettings,
  SyslogSinkSettings,
  ThrottleSettings,
} from './types.js';
export { SENSOR_CHOICES } from './types.js';
export {
  DEFAULT_ALERT_LOG,
  DEFAULT_CONFIG_FILE,
  DEFAULT_POLICY_DIR,
  DEFAULT_STATE_DIR,
  defaultConfig,
} from './defaults.js';
export { loadConfig, overlay } from './load.js';
export type { LoadConfigOptions, LoadConfigResult } from './load.js';
export { CONFIG_OPTIONS, addConfigOptions, flagsFromOptions } from './options.js';
export type { ConfigOption } from './options.js';
export { configSchema } from './schema.js';
