// BW4xxx: the agent configuration file (/etc/bulwark/bulwark.yaml) and its command-line overlay.
// BW40xx reject the configuration (the agent refuses to start); BW41xx are warnings.
import { defineCodes } from './types.js';

export const configCodes = defineCodes({
  CONFIG_FILE_MISSING: {
    code: 'BW4001',
    level: 'error',
    title: 'Configuration file not found or unreadable',
    help: 'Check the path given with --config (relative paths start from the current directory). Without --config the agent reads /etc/bulwark/bulwark.yaml when it exists and otherwise runs on its embedded defaults.',
  },
  CONFIG_SYNTAX: {
    code: 'BW4002',
    level: 'error',
    title: 'Configuration file is not valid YAML',
    help: 'Fix the YAML at the position shown: indent nested settings with spaces (never tabs), put a space after each colon, and quote values containing `: ` or starting with `*`, `&`, `{` or `[`. Each key may appear once per mapping.',
  },
  CONFIG_UNKNOWN_FIELD: {
    code: 'BW4003',
    level: 'error',
    title: 'Unknown configuration setting',
    help: 'The setting is not one Bulwark knows; check its spelling (settings are camelCase, e.g. stateDir, maxAlertsPerSec) and its level of indentation. docs/config.md lists every setting.',
  },
  CONFIG_WRONG_TYPE: {
    code: 'BW4004',
    level: 'error',
    title: 'Configuration value has the wrong type',
    help: 'Write the kind of value the setting takes (a string, a whole number, true/false, a list or a mapping); docs/config.md gives the type of each setting.',
  },
  CONFIG_BAD_CHOICE: {
    code: 'BW4005',
    level: 'error',
    title: 'Configuration value is not one of the allowed choices',
    help: 'Use one of the values listed in the message; choices are lower-case (audit, block, auto, ...).',
  },
  CONFIG_OUT_OF_RANGE: {
    code: 'BW4006',
    level: 'error',
    title: 'Configuration number out of range',
    help: 'Use a whole number within the range given in the message.',
  },
  CONFIG_BAD_FORMAT: {
    code: 'BW4007',
    level: 'error',
    title: 'Configuration value is not in the expected format',
    help: 'Paths in the configuration file are absolute (start with /); listen addresses are HOST:PORT, [IPv6]:PORT or unix:/absolute/path; syslog targets are udp://HOST:PORT, tcp://HOST:PORT or unix:/path.',
  },
  CONFIG_NOT_MAPPING: {
    code: 'BW4008',
    level: 'error',
    title: 'Configuration file is not a mapping of settings',
    help: 'The file must be one YAML document whose top level is `setting: value` lines (see deploy/config/bulwark.yaml); a list, a plain value or several documents are refused.',
  },
  CONFIG_BAD_FLAG: {
    code: 'BW4009',
    level: 'error',
    title: 'Invalid configuration flag',
    help: 'Write --set as key.path=value with a setting from docs/config.md (e.g. --set sinks.file.enabled=true); values are read as YAML scalars, so quote a string that looks like a number.',
  },
  CONFIG_NULL_VALUE: {
    code: 'BW4101',
    level: 'warning',
    title: 'Configuration setting written without a value',
    help: 'A key followed by nothing (`sinks:` alone) is ignored and the default is used. Remove the line or give it a value to silence this warning.',
  },
});
