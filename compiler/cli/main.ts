#!/usr/bin/env node
// The `mdl` command: a thin layer over the library. Exit codes: 0 success, 1 errors in the
// user's input, 2 bad command-line usage, 70 a bug in mdl, 130 a training run stopped by Ctrl-C.
// A user error never prints a stack trace.
import { parseArgs, UsageError } from './args.js';
import { MdlError } from '../diagnostics/diagnostic.js';
import { renderLate } from './report.js';
import { COMMANDS } from './commands/index.js';
import { SPECS, type CommandName } from './commands/specs.js';
import type { CommandSpec } from './args.js';
import { commandHelp } from './help.js';
import { packageRoot } from '../emit/write.js';
import { CliError, renderCliError, renderInternalError } from './errors.js';
import { applyRoute } from './route.js';
import { MissingPackageError, missingPackageOf } from '../../runtime/missing-package.js';
import { runFiltered } from './dawn-noise.js';

function help(): string {
  const specs = Object.values(SPECS);
  const width = Math.max(...specs.map((c) => c.name.length));
  const lines = [
    `mdl ${packageRoot().version} — a compiler for neural-network model descriptions`,
    '',
    'usage: mdl COMMAND [FLAGS]   (mdl help COMMAND, or mdl COMMAND --help, lists its flags)',
    '',
    'commands:',
  ];
  for (const c of specs) lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
  lines.push('', 'mdl --version prints the version.');
  return lines.join('\n');
}

function find(name: string): CommandName {
  if (!Object.hasOwn(SPECS, name))
    throw new UsageError(`unknown command \`${name}\``, `commands: ${Object.keys(SPECS).join(', ')}`, 'MDL7002');
  return name as CommandName;
}

/** The command's usage line is the hint of a usage error that has none of its own. */
async function runCommand(name: CommandName, argv: readonly string[]): Promise<number> {
  const spec: CommandSpec = SPECS[name];
  // --help anywhere before `--` asks for help, whatever else the line holds.
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(commandHelp(spec) + '\n');
    return 0;
  }
  try {
    const args = parseArgs(spec, argv);
    // A command that uses the device takes --route; it holds for every device the command opens.
    if ('route' in spec.flags) applyRoute(args);
    // The command's own modules, loaded once its line is known to be well formed.
    const cmd = await COMMANDS[name]();
    return await cmd.run(args);
  } catch (e) {
    if (e instanceof UsageError && e.hint === undefined)
      throw new UsageError(e.message, `usage: ${spec.usage}`, e.code);
    throw e;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${packageRoot().version}\n`);
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    process.stdout.write(commandHelp(SPECS[find(rest[0]!)]) + '\n');
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // Asked for, the help is the result (stdout); without a command it is a usage error's (stderr).
    (name ? process.stdout : process.stderr).write(help() + '\n');
    return name ? 0 : 2;
  }
  return runCommand(find(name), rest);
}

// A closed pipe (`mdl summary … --json | head -1`) ends the output, not in an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });

// Commands that may open the device run in a child whose standard error drops Dawn's noise.
const argv = process.argv.slice(2);
const filtered = await runFiltered(argv);
(filtered === undefined ? run(argv) : Promise.resolve(filtered)).then(
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
