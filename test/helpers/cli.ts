// Runs the built command line (dist/) as a user would, in a child process: its exit status and
// what it wrote on stdout and stderr.
import { spawnSync } from 'node:child_process';

export const CLI = 'dist/compiler/cli/main.js';

export function mdl(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
