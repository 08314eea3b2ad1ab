#!/usr/bin/env node
// Entry point of the `bulwark` executable (package.json "bin").

// Output piped into a program that stops reading (`bulwark logs | head`) ends quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

async function run(argv: string[]): Promise<number> {
  // A since-last check with a running agent is answered before the command tree loads.
  if (argv[0] === 'baseline' && argv[1] === 'check' && argv.includes('--since-last')) {
    const code = await (await import('./cli/quick.js')).quickSinceLast(argv);
    if (code !== null) return code;
  }
  return (await import('./cli/index.js')).main(argv);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bulwark: ${String(e)}\n`);
    process.exitCode = 3;
  },
);
