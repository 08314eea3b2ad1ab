#!/usr/bin/env node
// Entry point of the `bulwark` executable (package.json "bin").
import { main } from './cli/index.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bulwark: ${String(e)}\n`);
    process.exitCode = 3;
  },
);
