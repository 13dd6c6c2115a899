// What a CLI command is: its flag spec and a function from parsed arguments to an exit code
// (0 success, 1 errors in the user's input, 130 a training run stopped by Ctrl-C); failures
// outside a model's source are thrown as CliError (errors.ts). Each command lives in its own
// file under commands/, its surface in commands/specs.ts and its loader in commands/index.ts.
import { compileTraining, type TrainCompileResult } from '../compile.js';
import { LIMITS } from '../diagnostics/limits.js';
import { nodeHost } from '../modules/node-host.js';
import type { SourceFile } from '../source.js';
import type { CommandSpec, ParsedArgs } from './args.js';
import { readFile } from './files.js';
import { modelArgs } from './model-args.js';

export { renderLate, report } from './report.js';

export interface Command {
  readonly spec: CommandSpec;
  run(args: ParsedArgs): number | Promise<number>;
}

export function readSource(path: string): SourceFile {
  return { path, text: readFile(path, LIMITS.sourceBytes).toString('utf8') };
}

/**
 * The file (the one positional argument) compiled for training, with the model and train
 * section the --model and --train flags pick, and the model arguments of --arg (over the
 * section's own): how `mdl train` and `mdl compile` read it.
 */
export function compileTrainingArgs(args: ParsedArgs): TrainCompileResult {
  const model = args.flags.get('model') as string | undefined;
  const train = args.flags.get('train') as string | undefined;
  const given = modelArgs(args);
  return compileTraining(readSource(args.positional[0]!), nodeHost, {
    ...(model ? { model } : {}),
    ...(train ? { train } : {}),
    ...(given ? { args: given } : {}),
  });
}
