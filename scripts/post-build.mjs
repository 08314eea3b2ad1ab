// Runs after tsc: makes the CLI entry executable so `./dist/cli.js` and `npx bulwark` work.
import { chmodSync, existsSync } from 'node:fs';

if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
