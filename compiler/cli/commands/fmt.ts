// `mdl fmt`: the canonical layout. Without flags it prints the formatted file; --check lists
// the files that are not formatted (exit 1); --write rewrites them atomically (temporary file,
// then rename), so an interrupted run never leaves a half-written model. A file with syntax
// errors is reported and left untouched. What the user set on a file stays: its mode (a
// read-only file stays read-only, an executable one executable), a symbolic link stays a link
// (the file it points to is rewritten), and a file with several hard links is rewritten in
// place so that every link still names it.
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../args.js';
import { readSource, type Command } from '../command.js';
import { cannotRead, cannotWrite } from '../files.js';
import { SPECS } from './specs.js';

/** FILE arguments: .mdl files, and folders searched recursively for them. */
function expand(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (top) out.push(p); // reported as unreadable by readSource
      return;
    }
    if (st.isDirectory()) {
      let entries: string[];
      try {
        entries = readdirSync(p).sort();
      } catch (e) {
        throw cannotRead(p, e);
      }
      for (const e of entries) if (e !== 'node_modules' && !e.startsWith('.')) walk(join(p, e), false);
    } else if (top || p.endsWith('.mdl')) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

/**
 * Replaces a file's text, keeping what the user set on it. Through a symbolic link, the file it
 * points to is replaced; a file the user may not write is not written; the new file gets the
 * old one's mode. A file with other hard links is rewritten in place (a rename would leave the
 * other links on the old text).
 */
export function writeAtomically(path: string, text: string): void {
  let real: string;
  let tmp: string | undefined;
  try {
    real = realpathSync(path);
    const st = statSync(real);
    accessSync(real, constants.W_OK);
    if (st.nlink > 1) {
      const fd = openSync(real, 'r+');
      try {
        const data = Buffer.from(text, 'utf8');
        writeSync(fd, data, 0, data.length, 0);
        ftruncateSync(fd, data.length);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return;
    }
    tmp = join(dirname(real), `.${basename(real)}.${process.pid}.tmp`);
    writeFileSync(tmp, text, { mode: st.mode & 0o7777 });
    chmodSync(tmp, st.mode & 0o7777);
    renameSync(tmp, real);
  } catch (e) {
    if (tmp !== undefined)
      try {
        unlinkSync(tmp);
      } catch {
        // Not made, or renamed already.
      }
    throw cannotWrite(path, e);
  }
}

export const fmt: Command = {
  spec: SPECS.fmt,
  async run(args) {
    const check = args.flags.get('check') === true;
    const write = args.flags.get('write') === true;
    if (check && write)
      throw new UsageError(
        '--check and --write cannot be combined',
        '--check lists the files that are not formatted; --write formats them',
        'MDL7005',
      );
    // prettier is loaded only for this command, so other commands start fast.
    const { formatMdl } = await import('../../../grammar/format/format.js');
    const { MdlSyntaxError } = await import('../../../grammar/format/plugin.js');
    const files = expand(args.positional);
    if (!check && !write && files.length !== 1)
      throw new UsageError(
        'formatting to standard output takes exactly one file',
        'use --check or --write for several',
      );
    let failed = false;
    const unformatted: string[] = [];
    for (const f of files) {
      const src = readSource(f);
      let out: string;
      try {
        out = await formatMdl(src.text, {
          filepath: f,
          printWidth: (args.flags.get('print-width') as number | undefined) ?? 100,
        });
      } catch (e) {
        if (!(e instanceof MdlSyntaxError)) throw e;
        process.stderr.write(e.message + '\n');
        failed = true;
        continue;
      }
      if (check) {
        if (out !== src.text) unformatted.push(f);
      } else if (write) {
        if (out !== src.text) {
          writeAtomically(f, out);
          process.stdout.write(`formatted ${f}\n`);
        }
      } else process.stdout.write(out);
    }
    if (unformatted.length) {
      process.stderr.write(
        `not formatted (run \`mdl fmt --write\`):\n${unformatted.map((f) => `  ${f}`).join('\n')}\n`,
      );
      return 1;
    }
    return failed ? 1 : 0;
  },
};
