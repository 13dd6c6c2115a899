// Runs a built script (dist/) as a user would, in a child process: its exit status and what it
// wrote on stdout and stderr. `mdl` runs the command line; `mdlWithin` with a time limit (ms),
// past which the child is killed and the status is −1.
import { spawnSync } from 'node:child_process';

export const CLI = 'dist/compiler/cli/main.js';

export interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function run(timeout: number | undefined, script: string, args: readonly string[]): Ran {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    // Dawn warns about a missing runtime directory; tests should not depend on the caller's.
    env: { ...process.env, XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? '/tmp' },
    ...(timeout !== undefined ? { timeout } : {}),
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export function runNode(script: string, ...args: string[]): Ran {
  return run(undefined, script, args);
}

export const mdl = (...args: string[]): Ran => run(undefined, CLI, args);

export const mdlWithin = (timeout: number, ...args: string[]): Ran => run(timeout, CLI, args);
