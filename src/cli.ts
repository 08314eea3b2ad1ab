#!/usr/bin/env node
// Entry point of the `bulwark` executable (package.json "bin").
import { main } from './cli/index.js';

// Output piped into a program that stops reading (`bulwark logs | head`) ends quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bulwark: ${String(e)}\n`);
    process.exitCode = 3;
  },
);
