// Runs a built script (dist/) as a user would, in a child process: its exit status and what it
// wrote on stdout and stderr. `mdl` runs the command line.
import { spawnSync } from 'node:child_process';

export const CLI = 'dist/compiler/cli/main.js';

export function runNode(script: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export const mdl = (...args: string[]) => runNode(CLI, ...args);
