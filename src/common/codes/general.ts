// BW0xxx: command line, files and other conditions shared by every subcommand.
import { defineCodes } from './types.js';

export const generalCodes = defineCodes({
  CLI_USAGE: {
    code: 'BW0001',
    level: 'error',
    title: 'Invalid command line',
    help: 'Run the command with --help to see its options.',
  },
  FILE_NOT_FOUND: {
    code: 'BW0002',
    level: 'error',
    title: 'File or directory not found',
    help: 'Check the path; relative paths are resolved from the current directory.',
  },
  FILE_UNREADABLE: {
    code: 'BW0003',
    level: 'error',
    title: 'File or directory cannot be read',
    help: 'Check the permissions of the file and of the directories above it.',
  },
  INTERNAL: {
    code: 'BW0099',
    level: 'error',
    title: 'Internal error',
    help: 'This is a bug in Bulwark; please report it with the command and its output.',
  },
});
