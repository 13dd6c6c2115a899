// Formatting as a library call: text → canonical text, with mdl's default print width.
import * as prettier from 'prettier';
import plugin from './plugin.js';

export const DEFAULT_PRINT_WIDTH = 100;

export async function formatMdl(text: string, opts: { printWidth?: number; filepath?: string } = {}): Promise<string> {
  return prettier.format(text, {
    parser: 'mdl',
    plugins: [plugin],
    printWidth: opts.printWidth ?? DEFAULT_PRINT_WIDTH,
    ...(opts.filepath ? { filepath: opts.filepath } : {}),
  });
}
