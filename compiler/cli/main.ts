#!/usr/bin/env node
// The `mdl` command: a thin layer over the library. Exit codes: 0 success, 1 errors in the
// user's input, 2 bad command-line usage, 70 a bug in mdl, 130 a training run stopped by Ctrl-C.
// A user error never prints a stack trace.
import { parseArgs, UsageError } from './args.js';
import { MdlError } from '../diagnostics/diagnostic.js';
import { renderLate, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { CliError, renderCliError, renderInternalError } from './errors.js';
import { MissingPackageError, missingPackageOf } from '../../runtime/missing-package.js';

function help(): string {
  const lines = ['mdl — a compiler for neural-network model descriptions', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.spec.usage.padEnd(64)} ${c.spec.summary}`);
  return lines.join('\n');
}

/** The command's usage line is the hint of a usage error that has none of its own. */
async function runCommand(cmd: Command, argv: readonly string[]): Promise<number> {
  try {
    return await cmd.run(parseArgs(cmd.spec, argv));
  } catch (e) {
    if (e instanceof UsageError && e.hint === undefined)
      throw new UsageError(e.message, `usage: ${cmd.spec.usage}`, e.code);
    throw e;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd)
    throw new UsageError(
      `unknown command \`${name}\``,
      `commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}`,
      'MDL7002',
    );
  return runCommand(cmd, rest);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(renderCliError(e) + '\n');
      process.exitCode = e.exitCode;
    } else if (e instanceof MissingPackageError || missingPackageOf(e) !== undefined) {
      // A package loaded on demand (Dawn's webgpu, ts-morph) that this installation lacks.
      const pkg = e instanceof MissingPackageError ? e.pkg : missingPackageOf(e)!;
      const message = e instanceof MissingPackageError ? e.message : `the package \`${pkg}\` is not installed`;
      process.stderr.write(renderCliError(new CliError('MDL7011', message, `npm install ${pkg}`)) + '\n');
      process.exitCode = 1;
    } else if (e instanceof MdlError) {
      process.stderr.write(renderLate(e) + '\n');
      process.exitCode = 1;
    } else {
      process.stderr.write(renderInternalError(e) + '\n');
      process.exitCode = 70;
    }
  },
);
