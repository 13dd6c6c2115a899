// The files a command reads and writes for the user. A file system failure the user can cause
// (a wrong path, a folder, no permission, a full disk) is a coded error that names the path and
// the reason in words, with a hint for what to change.
import { writeFileSync } from 'node:fs';
import { formatLimit } from '../diagnostics/limits.js';
import { FileTooLarge, readBounded } from '../modules/node-host.js';
import { CliError } from './errors.js';

/** A Node.js file system error (it carries an errno code such as ENOENT). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e;
}

const REASONS: Readonly<Record<string, readonly [reason: string, readHint: string, writeHint: string]>> = {
  ENOENT: [
    'no such file or folder',
    'check the path (a relative path starts from the current folder)',
    'its folder does not exist; create it, or choose another path',
  ],
  EISDIR: ['it is a folder', 'give a file, not a folder', 'give a file name, not a folder'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'check the path', 'check the path'],
  EACCES: ['permission denied', "check the file's permissions", 'choose a path you may write to'],
  EPERM: ['operation not permitted', "check the file's permissions", 'choose a path you may write to'],
  EROFS: ['the file system is read-only', 'check the path', 'choose a path on a writable file system'],
  ENOSPC: ['no space left on the device', 'check the path', 'free some space, or write elsewhere'],
};

function failure(code: 'MDL5003' | 'MDL5006', verb: string, path: string, e: unknown, hintAt: 1 | 2): CliError {
  const errno = isFsError(e) ? e.code! : undefined;
  const known = errno !== undefined ? REASONS[errno] : undefined;
  // Node's own words for an errno without ours: "EIO: i/o error, read" → "EIO: i/o error".
  const reason = known?.[0] ?? (e instanceof Error ? e.message.split(',')[0] : undefined);
  return new CliError(code, `cannot ${verb} ${path}${reason ? `: ${reason}` : ''}`, known?.[hintAt]);
}

/** The error for a file that could not be read (MDL5003). */
export function cannotRead(path: string, e: unknown): CliError {
  return failure('MDL5003', 'read', path, e, 1);
}

/** The error for a file or folder that could not be written (MDL5006). */
export function cannotWrite(path: string, e: unknown): CliError {
  return failure('MDL5006', 'write', path, e, 2);
}

/** What a command reads whole (a table, a model file) is at most this large, unless it says less. */
const READ_LIMIT = 1 << 30;

/** A whole file, at most `limit` bytes (a device such as /dev/zero is never read forever). */
export function readFile(path: string, limit = READ_LIMIT): Buffer {
  try {
    return readBounded(path, limit);
  } catch (e) {
    if (e instanceof FileTooLarge)
      throw new CliError('MDL5011', `${path} is larger than ${formatLimit(limit)} bytes`, 'check the path');
    throw cannotRead(path, e);
  }
}

export function writeFile(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw cannotWrite(path, e);
  }
}
