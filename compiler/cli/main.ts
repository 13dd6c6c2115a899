#!/usr/bin/env node
// The `mdl` command: a thin layer over the library. Exit codes: 0 success, 1 errors in the
// user's input, 2 bad command-line usage, 70 a bug in mdl. A user error never prints a stack trace.
import { parseArgs, UsageError } from './args.js';
import { FileError } from './command.js';
import { COMMANDS } from './commands/index.js';

function help(): string {
  const lines = ['mdl — a compiler for neural-network model descriptions', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.spec.usage.padEnd(64)} ${c.spec.summary}`);
  return lines.join('\n');
}

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd)
    throw new UsageError(`unknown command \`${name}\``, `commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}`);
  return cmd.run(parseArgs(cmd.spec, rest));
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`error MDL7001: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
      process.exitCode = 2;
    } else if (e instanceof FileError) {
      process.stderr.write(e.message + '\n');
      process.exitCode = 1;
    } else {
      // A bug in mdl, not in the user's input: say so, with the details needed to report it.
      process.stderr.write(
        `error MDL9001: internal error in mdl — please report it\n${(e as Error).stack ?? String(e)}\n`,
      );
      process.exitCode = 70;
    }
  },
);
