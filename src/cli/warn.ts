// How the CLI prints a coded warning on stderr.
export function warn(code: string, message: string): void {
  process.stderr.write(`bulwark: warning ${code} ${message}\n`);
}
