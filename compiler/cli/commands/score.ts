import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { against, AgainstError, formatAgainst, type AgainstReport } from '../../space/against.js';
import type { Row } from '../../space/evaluate.js';
import { nodeHost } from '../../modules/node-host.js';
import { plotSvg } from '../../space/plot.js';
import { batchesFor, batchnormOf, getProxy, isProxyName, PROXIES } from '../../space/proxies.js';
import { candidate } from '../../space/space.js';
import type { Measure } from '../../space/evaluate.js';
import { DataError } from '../../../runtime/data/dataset.js';
import { proxyBatches, ProxyDataError } from '../../drivers/proxies/data.js';
import { measureProfiled, profileLine, profileTable } from '../../drivers/proxies/profile.js';
import type { StageClock } from '../../../runtime/stages.js';
import { NoAdapterError } from '../../../runtime/device.js';
import { classesOf, imageInput } from '../../space/data-proxies/layers.js';
import { scoreSpace, streamLength } from '../../space/score.js';
import { openSpace } from '../../space/space.js';
import { compareIndex, csvHeader, csvRow, readCsvTable, readRows } from '../../space/table.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { readSource, report, type Command } from '../command.js';
import { CliError } from '../errors.js';
import { cannotWrite, readFile, writeFile } from '../files.js';
import { countProgress } from '../../../runtime/train/progress.js';
import { SPECS } from './specs.js';

const DEFAULT_PROXIES = 'params,macs,flops,nn_mass,nn_degree';
const RESERVED = new Set(['index', 'arch', 'hash', 'error']);
/** What each row of a run with data-dependent proxies also records. */
const DATA_META = ['seed', 'batch', 'data', 'bn', 'backend'];

function proxyList(args: ParsedArgs): string[] {
  const list = ((args.flags.get('proxies') as string | undefined) ?? DEFAULT_PROXIES)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of list)
    if (!isProxyName(p))
      throw new UsageError(
        `unknown proxy "${p}"`,
        `the proxies: ${PROXIES.map((x) => `${x.name} (${x.sign > 0 ? 'higher' : 'lower'} is better)`).join(', ')}`,
      );
  if (list.length === 0)
    throw new UsageError('--proxies needs at least one proxy', `e.g. --proxies ${DEFAULT_PROXIES}`);
  return [...new Set(list)];
}

function nonNegative(args: ParsedArgs, flag: string): number | undefined {
  const v = args.flags.get(flag) as string | undefined;
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${flag} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

function shardOf(args: ParsedArgs): [number, number] | undefined {
  const v = args.flags.get('shard') as string | undefined;
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]))
    throw new UsageError(
      `--shard takes I/N with 0 ≤ I < N, got "${v}"`,
      'shards are numbered from 0: --shard 0/4 … --shard 3/4 (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)',
    );
  return [Number(m[1]), Number(m[2])];
}

function formatOf(args: ParsedArgs): 'jsonl' | 'csv' {
  const f = args.flags.get('format') as string | undefined;
  const out = args.flags.get('out') as string | undefined;
  const fmt = f ?? (out?.endsWith('.csv') ? 'csv' : 'jsonl');
  // `json` was once accepted and wrote JSON lines: it is named for what it writes now.
  if (fmt === 'json')
    throw new UsageError(
      '--format json is not a format of mdl score: its rows are JSON lines',
      'write --format jsonl (one JSON object per line), or --format csv',
    );
  if (fmt !== 'jsonl' && fmt !== 'csv')
    throw new UsageError(`unknown format "${fmt}"`, 'supported: jsonl (one JSON object per line), csv');
  return fmt === 'csv' ? 'csv' : 'jsonl';
}

/** A file's text; `.gz` files are decompressed (a ground-truth table may ship gzipped). */
function readText(path: string): string {
  const data = readFile(path);
  try {
    return (path.endsWith('.gz') ? gunzipSync(data, { maxOutputLength: 1 << 30 }) : data).toString('utf8');
  } catch (e) {
    if (e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new CliError('MDL5011', `${path} decompresses to more than 1 GiB`, 'check the path');
    throw new CliError('MDL5005', `${path} is not a gzip file`);
  }
}

/**
 * A run killed mid-row leaves its last line cut short; it was not read as a row (so it is
 * scored again), and the rows appended now must not be glued to it: the file is cut back to
 * its last full line.
 */
function dropTornLine(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 1 << 16));
    let end = size;
    // Search backwards, a window at a time, for the last newline.
    while (end > 0) {
      const from = Math.max(0, end - tail.length);
      readSync(fd, tail, 0, end - from, from);
      const nl = tail.subarray(0, end - from).lastIndexOf(10);
      if (nl >= 0) {
        end = from + nl + 1;
        break;
      }
      end = from;
      if (end === 0) break;
    }
    if (end < size) ftruncateSync(fd, end);
  } finally {
    closeSync(fd);
  }
}

/** Where rows go: a file (appended to, so runs resume) or stdout. */
function rowSink(
  out: string | undefined,
  format: 'jsonl' | 'csv',
  proxies: readonly string[],
  eager = false,
): { write(r: Row): void; close(): void } {
  const line = (r: Row) => (format === 'csv' ? csvRow(r, proxies) : JSON.stringify(r)) + '\n';
  if (out === undefined) {
    if (format === 'csv') process.stdout.write(csvHeader(proxies) + '\n');
    return buffered(
      (text) => void process.stdout.write(text),
      line,
      eager,
      () => {},
    );
  }
  const fresh = !existsSync(out) || statSync(out).size === 0;
  let fd: number;
  try {
    if (!fresh) dropTornLine(out);
    fd = openSync(out, 'a');
  } catch (e) {
    throw cannotWrite(out, e);
  }
  if (fresh && format === 'csv') writeSync(fd, csvHeader(proxies) + '\n');
  return buffered(
    (text) => void writeSync(fd, text),
    line,
    eager,
    () => closeSync(fd),
  );
}

/**
 * Rows written in batches: a write per row cost a static scoring run more than composing some
 * of its rows. A batch goes out at 64 KiB or a tenth of a second after its first row, so a
 * slow run's rows still appear (and a resumed run finds them); rows of data-dependent proxies,
 * seconds each, go out at once (`eager`).
 */
function buffered(
  emit: (text: string) => void,
  line: (r: Row) => string,
  eager: boolean,
  end: () => void,
): { write(r: Row): void; close(): void } {
  let buf = '';
  let since = 0;
  const flush = () => {
    if (buf) emit(buf);
    buf = '';
  };
  return {
    write(r) {
      if (!buf) since = Date.now();
      buf += line(r);
      if (eager || buf.length > 1 << 16 || Date.now() - since > 100) flush();
    },
    close() {
      flush();
      end();
    },
  };
}

function evaluate(args: ParsedArgs, rows: readonly Row[], proxies: readonly string[], toStdout: boolean): number {
  const table = args.flags.get('against') as string | undefined;
  const plot = args.flags.get('plot') as string | undefined;
  if (!table) return 0;
  let rep: AgainstReport;
  try {
    const key = args.flags.get('key') as string | undefined;
    const truth = args.flags.get('truth') as string | undefined;
    rep = against(rows, readCsvTable(readText(table)), proxies, {
      ...(key ? { key } : {}),
      ...(truth ? { truth } : {}),
    });
  } catch (e) {
    if (e instanceof AgainstError) throw new CliError('MDL5007', `${table}: ${e.message}`);
    throw e;
  }
  // --json: the same report as one JSON object (without the matched pairs, which only plots use).
  const text =
    args.flags.get('json') === true
      ? JSON.stringify({
          against: table,
          key: rep.key,
          truth: rep.truth,
          matched: rep.matched,
          rows: rep.rows,
          proxies: rep.reports,
        }) + '\n'
      : formatAgainst(rep, table) + '\n';
  if (toStdout) process.stdout.write(text);
  else process.stderr.write(text);
  if (plot) {
    writeFile(plot, plotSvg(rep, proxies, args.flags.get('plot-clip') as number | undefined));
    (toStdout ? process.stdout : process.stderr).write(`wrote ${plot}\n`);
  }
  return 0;
}

/** A row's values in a canonical order, to tell a repeated row from a conflicting one. */
function rowText(r: Row): string {
  return JSON.stringify(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function merge(args: ParsedArgs): number {
  const byIndex = new Map<string, { row: Row; file: string }>();
  let columnsOf: { file: string; columns: string } | undefined;
  for (const f of args.positional) {
    const text = readText(f);
    const rows = readRows(text);
    // A file of something else (a binary file, a table of other columns) has no rows to give:
    // every row `mdl score` writes has the candidate's index.
    if ((rows.length === 0 && text.trim() !== '') || rows.some((r) => r.index === undefined || r.index === ''))
      throw new CliError('MDL5012', `${f} holds no rows of \`mdl score\``);
    const scored = rows.filter((r) => r.error === undefined);
    const columns = [...new Set(scored.flatMap((r) => Object.keys(r).filter((k) => !RESERVED.has(k))))]
      .sort()
      .join(', ');
    if (scored.length > 0) {
      if (columnsOf && columnsOf.columns !== columns)
        throw new CliError(
          'MDL5012',
          `${f} has the columns ${columns}, ${columnsOf.file} has ${columnsOf.columns}: rows scored with different proxies or data do not merge`,
        );
      columnsOf ??= { file: f, columns };
    }
    for (const r of rows) {
      const key = String(r.index);
      const prev = byIndex.get(key);
      if (!prev) byIndex.set(key, { row: r, file: f });
      else if (rowText(prev.row) !== rowText(r))
        throw new CliError(
          'MDL5012',
          `candidate ${key} has different rows in ${prev.file} and ${f}`,
          'the files were scored with other settings; merge the files of one run',
        );
    }
  }
  const rows = [...byIndex.values()].map((x) => x.row).sort((a, b) => compareIndex(a.index, b.index));
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => !RESERVED.has(k))))];
  const proxies = columns.filter((c) => !DATA_META.includes(c));
  const out = args.flags.get('out') as string | undefined;
  const format = formatOf(args);
  if (out !== undefined && existsSync(out)) writeFile(out, '');
  const sink = rowSink(out, format, columns);
  for (const r of rows) sink.write(r);
  sink.close();
  process.stderr.write(
    `merged ${rows.length.toLocaleString('en')} rows from ${args.positional.length} file${args.positional.length === 1 ? '' : 's'}${out ? ` into ${out}` : ''}\n`,
  );
  return evaluate(args, rows, proxies, out !== undefined);
}

/**
 * The data-dependent proxies' measuring function: the batches (`--data`, adapted to the space's
 * input), the backend (`--backend`, WebGPU by default) and the metadata every row records.
 */
async function dataMeasure(
  args: ParsedArgs,
  space: Parameters<typeof candidate>[0],
  names: readonly string[],
): Promise<{ measure: Measure; about: string; dispose(): void; profile(): string | undefined }> {
  const backendName = (args.flags.get('backend') as string | undefined) ?? 'webgpu';
  if (backendName !== 'webgpu' && backendName !== 'reference')
    throw new UsageError(
      `unknown backend "${backendName}"`,
      'the data proxies run on webgpu (the default) or reference (the float64 interpreter, slow)',
    );
  const batch = (args.flags.get('data-batch') as number | undefined) ?? 64;
  if (batch < 2)
    throw new UsageError(
      `--data-batch must be at least 2, got ${batch}`,
      'NASWOT and Jacob_cov compare the samples of a batch',
    );
  const seed = nonNegative(args, 'data-seed') ?? 0;
  const spec = (args.flags.get('data') as string | undefined) ?? 'mnist';
  const first = candidate(space, 0n).graph;
  if (!first)
    throw new CliError(
      'MDL7006',
      "the space's first candidate does not build; the data proxies take their input shape from it",
    );
  let data;
  try {
    const input = imageInput(first);
    data = proxyBatches(spec, input.shape, classesOf(first), batch, seed, batchesFor(names));
  } catch (e) {
    if (e instanceof DataError) throw new CliError('MDL5008', e.message, e.hint);
    if (e instanceof ProxyDataError) throw new CliError('MDL7007', e.message, 'choose another --data or --data-batch');
    if (e instanceof Error && !(e instanceof TypeError)) throw new CliError('MDL7006', e.message);
    throw e;
  }
  let backend;
  try {
    // The backends (the kernel planner, the executor) only here: static scoring never loads them.
    const { proxyBackend } = await import('../../drivers/proxies/backend.js');
    backend = await proxyBackend(backendName);
  } catch (e) {
    if (e instanceof NoAdapterError)
      throw new CliError('MDL7008', e.message, 'run with --backend reference to use the float64 interpreter instead');
    throw e;
  }
  const meta = {
    seed,
    batch,
    data: data.description,
    bn: batchnormOf(names),
    backend: backendName,
  };
  const b = backend;
  // --profile: each candidate's time by stage, a line each on stderr and a table at the end.
  const profiling = args.flags.get('profile') === true;
  const clocks: StageClock[] = [];
  const measureFn: Measure = async (graph) => {
    const p = await measureProfiled(graph, { backend: b, batches: data.batches, batch, seed, proxies: names });
    const values = p.values;
    if (profiling) {
      clocks.push(p.clock);
      // Candidates are measured one at a time, in stream order.
      process.stderr.write(`${profileLine(`candidate ${clocks.length}`, p.clock)}\n`);
    }
    const row: Record<string, number | string> = {};
    // Non-finite values (NaN of a constant Jacobian, an overflow) are written as text, so they
    // are kept in the file but never ranked.
    for (const [k, v] of Object.entries(values)) row[k] = Number.isFinite(v) ? v : String(v);
    return { ...row, ...meta };
  };
  return {
    measure: measureFn,
    about: `${data.description}, batch ${batch}, seed ${seed}, on ${b.description}`,
    dispose: () => b.dispose(),
    profile: () => (profiling ? profileTable(clocks) : undefined),
  };
}

export const score: Command = {
  spec: SPECS.score,
  async run(args) {
    const clip = args.flags.get('plot-clip') as number | undefined;
    if (clip !== undefined && (!args.flags.get('plot') || !(clip >= 0 && clip < 100)))
      throw new UsageError(
        `--plot-clip takes a percentile from 0 to 100 and goes with --plot, got ${clip}`,
        'for example --plot nb201.svg --plot-clip 2',
        'MDL7005',
      );
    if (args.flags.get('plot') && !args.flags.get('against'))
      throw new UsageError(
        '--plot needs --against TABLE.csv (the plots show proxies against its truth column)',
        'add --against TABLE.csv, or leave --plot out',
        'MDL7005',
      );
    if (args.flags.get('merge')) return merge(args);
    if (args.positional.length > 1)
      throw new UsageError(
        '`mdl score` scores one space file',
        'to join result files, use `mdl score --merge FILE...`',
      );
    const proxies = proxyList(args);
    const sample = args.flags.get('sample') as number | undefined;
    const seed = nonNegative(args, 'seed');
    if (seed !== undefined && sample === undefined)
      throw new UsageError('--seed goes with --sample N', 'add --sample N, or leave --seed out', 'MDL7005');
    const shard = shardOf(args);
    const workers = nonNegative(args, 'workers');
    // Scoring threads (the main one and N − 1 workers), each with a compiler of its own: more than
    // there are cores only costs memory.
    if (workers !== undefined && workers > availableParallelism())
      throw new UsageError(
        `--workers ${workers} is more than the ${availableParallelism()} cores of this machine`,
        `give at most --workers ${availableParallelism()}, or 0 or 1 to score in this thread`,
      );
    const format = formatOf(args);
    const out = args.flags.get('out') as string | undefined;
    const file = args.positional[0]!;
    const spaceName = args.flags.get('space') as string | undefined;
    const opened = openSpace(readSource(file), nodeHost, spaceName);
    if (!report(opened) || !opened.space) return 1;
    const space = opened.space;

    // Resume: what --out already holds is not scored again.
    const previous = out !== undefined && existsSync(out) ? readRows(readText(out)) : [];
    const missing = proxies.filter((p) => previous.some((r) => r.error === undefined && r[p] === undefined));
    if (missing.length > 0)
      throw new UsageError(
        `${out} holds rows scored without ${missing.join(', ')}`,
        'use another --out file, or the proxies it was scored with',
      );
    const skip = new Set(previous.map((r) => String(r.index)));

    const unique = args.flags.get('unique') === true;
    const seen = new Set(previous.map((r) => r.hash).filter((h): h is string => h !== undefined));
    const keep = args.flags.get('against') !== undefined;
    const rows: Row[] = keep ? [...previous] : [];
    const dataProxies = proxies.filter((p) => getProxy(p)?.data);
    if (args.flags.get('profile') === true && dataProxies.length === 0)
      throw new UsageError(
        '--profile times the data-dependent proxies, and none is asked for',
        'add one to --proxies (e.g. --proxies synflow), or leave --profile out',
        'MDL7005',
      );
    const measured = dataProxies.length > 0 ? await dataMeasure(args, space, dataProxies) : undefined;
    const sink = rowSink(out, format, measured ? [...proxies, ...DATA_META] : proxies, measured !== undefined);
    const bar =
      args.flags.get('quiet') === true ? { update() {}, end() {} } : countProgress('candidates', process.stderr);
    const length = streamLength(space.size, sample, shard);
    let functions = 0;
    let written = 0;
    const stats = await scoreSpace({
      space,
      file,
      proxies,
      ...(sample !== undefined ? { sample } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(shard ? { shard } : {}),
      ...(workers !== undefined ? { workers } : {}),
      batch: (args.flags.get('batch') as number | undefined) ?? 1,
      ...(measured ? { measure: measured.measure } : {}),
      skip,
      onRow(r) {
        if (r.hash !== undefined && !seen.has(r.hash)) {
          seen.add(r.hash);
          functions++;
        } else if (unique) return;
        sink.write(r);
        written++;
        if (keep) rows.push(r);
      },
      onProgress: (d, t) => bar.update(d, t),
    }).finally(() => {
      bar.end();
      sink.close();
      measured?.dispose();
    });
    if (measured) process.stderr.write(`data proxies: ${measured.about}\n`);
    const table = measured?.profile();
    if (table) process.stderr.write(`${table}\n`);
    const secs = stats.ms / 1000;
    const rate = stats.scored / Math.max(secs, 1e-9);
    process.stderr.write(
      `space ${space.def.name}: ${space.size.toLocaleString('en')} candidates (${space.choices.length} choices); this run's stream ${length.toLocaleString('en')}` +
        `${stats.skipped ? `, ${stats.skipped.toLocaleString('en')} already in ${out}` : ''}\n` +
        `scored ${stats.scored.toLocaleString('en')} in ${secs.toFixed(2)} s (${Math.round(rate).toLocaleString('en')}/s, ${stats.threads === 1 ? 'in-process' : `${stats.threads} threads`}); ` +
        `${functions.toLocaleString('en')} new distinct functions by canonical hash${unique ? `, ${written.toLocaleString('en')} rows written` : ''}\n`,
    );
    return evaluate(args, rows, proxies, out !== undefined);
  },
};
