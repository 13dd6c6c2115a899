// `mdl search FILE`: run the file's `search` section (or one named with --search) over its
// space — random sampling, ZiCo-style evolution or FLASH — with flags overriding its settings;
// print a summary and the best candidate or Pareto front; `--out` logs every evaluation as JSON
// lines and resumes from them, `--plot` draws the front and the progress, `--emit` writes the
// winners as model files.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { V } from '../../elaborate/values.js';
import { nodeHost } from '../../modules/node-host.js';
import { ALGORITHMS, ALGORITHM_NAMES } from '../../search/algorithms.js';
import { parseCall } from '../../search/args.js';
import { emitCandidate, emittedName, EmitError } from '../../search/emit.js';
import { headerLine, headerMismatch, logLine, LogError, readLog, type LogHeader } from '../../search/log.js';
import { OBJECTIVES } from '../../search/objectives.js';
import { openSearch } from '../../search/open.js';
import { fmt, ResumeMismatch, type Evaluated } from '../../search/problem.js';
import { formatReport, limitText, reference, searchSvg, type Reference } from '../../search/report.js';
import { runSearch } from '../../search/run.js';
import type { SearchSpec, Setting } from '../../search/spec.js';
import { AgainstError, truthLookup, type TruthLookup } from '../../space/against.js';
import { candidate, indices, type OpenSpace } from '../../space/space.js';
import { readCsvTable } from '../../space/table.js';
import { SECTION_VOCABULARIES } from '../../sections.js';
import { NO_SPAN } from '../../source.js';
import { algorithmOf } from '../../search/algorithms.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { readSource, report, type Command } from '../command.js';
import { CliError } from '../errors.js';
import { cannotWrite, readFile, writeFile } from '../files.js';
import { SPECS } from './specs.js';

/** A file's text; `.gz` files are decompressed. */
function readText(path: string): string {
  const data = readFile(path);
  try {
    return (path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
  } catch {
    throw new CliError('MDL5005', `${path} is not a gzip file`);
  }
}

const setting = (v: V): Setting => ({ v });
const names = (text: string): V => ({
  t: 'list',
  items: text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((v) => ({ t: 'str', v })),
});

/** The flags that override a search section's settings, as settings. */
function flagSettings(args: ParsedArgs): Map<string, Setting> {
  const f = <T>(k: string) => args.flags.get(k) as T | undefined;
  const out = new Map<string, Setting>();
  const space = f<string>('space');
  if (space !== undefined) out.set('candidates', setting({ t: 'str', v: space }));
  const alg = f<string>('algorithm');
  if (alg !== undefined) {
    let call;
    try {
      call = parseCall(alg);
    } catch (e) {
      throw new UsageError(
        `--algorithm: ${(e as Error).message}`,
        `e.g. --algorithm "evolution(population=64, iterations=1000)"`,
      );
    }
    if (!ALGORITHM_NAMES.includes(call.name as never))
      throw new UsageError(
        `unknown algorithm "${call.name}"`,
        `algorithms: ${ALGORITHM_NAMES.map((a) => `${a} (${ALGORITHMS[a].doc})`).join('; ')}`,
      );
    out.set('algorithm', setting({ t: 'config', kind: call.name, args: call.args, span: NO_SPAN }));
  }
  for (const k of ['maximize', 'minimize'] as const) {
    const v = f<string>(k);
    if (v !== undefined) out.set(k, setting(names(v)));
  }
  const cs = f<readonly string[]>('constraint');
  if (cs) {
    const items: V[] = cs.map((c) => {
      const m = /^\s*([A-Za-z_]\w*)\s*(<=|>=)\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*$/i.exec(c);
      if (!m || !Number.isFinite(Number(m[3])))
        throw new UsageError(
          `--constraint takes NAME<=X or NAME>=X, got "${c}"`,
          'e.g. --constraint "macs<=100e6" --constraint "latency<=20"',
        );
      return {
        t: 'config',
        kind: m[1]!,
        args: new Map<string, V>([[m[2] === '<=' ? 'max' : 'min', { t: 'float', v: Number(m[3]) }]]),
        span: NO_SPAN,
      };
    });
    out.set('constraints', setting({ t: 'list', items }));
  }
  const seed = f<string>('seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed)) throw new UsageError(`--seed must be a non-negative integer, got "${seed}"`);
    out.set('seed', setting({ t: 'int', v: Number(seed) }));
  }
  const str = (flag: string, key: string) => {
    const v = f<string>(flag);
    if (v !== undefined) out.set(key, setting({ t: 'str', v }));
  };
  str('truth', 'truth');
  str('key', 'key');
  str('truth-column', 'truth_column');
  str('data', 'data');
  const int = (flag: string, key: string) => {
    const v = f<number>(flag);
    if (v !== undefined) out.set(key, setting({ t: 'int', v }));
  };
  int('data-batch', 'data_batch');
  int('batch', 'batch');
  const ds = f<string>('data-seed');
  if (ds !== undefined) {
    if (!/^\d+$/.test(ds)) throw new UsageError(`--data-seed must be a non-negative integer, got "${ds}"`);
    out.set('data_seed', setting({ t: 'int', v: Number(ds) }));
  }
  return out;
}

/** The names of a few candidates, for finding a table's key column. */
function someNames(space: OpenSpace): Set<string> {
  const out = new Set<string>();
  for (const i of indices(space.size, 64, 0)) out.add(candidate(space, i).name);
  return out;
}

function loadTruth(path: string, space: OpenSpace, opts: { key?: string; truth?: string }): TruthLookup {
  try {
    return truthLookup(readCsvTable(readText(path)), opts.key ? new Set() : someNames(space), {
      ...opts,
      scanAll: true,
    });
  } catch (e) {
    if (e instanceof AgainstError) throw new CliError('MDL5007', `${path}: ${e.message}`);
    throw e;
  }
}

function header(spec: SearchSpec, space: OpenSpace, sources: readonly string[]): LogHeader {
  return {
    search: spec.name,
    space: space.def.name,
    algorithm: algorithmOf(spec.algorithm).format(spec.algorithm),
    goals: spec.goals.map((g) => `${g.sign > 0 ? 'max' : 'min'} ${g.name}`),
    limits: spec.limits.map(limitText),
    seed: spec.seed,
    sources,
  };
}

export const search: Command = {
  spec: SPECS.search,
  async run(args) {
    const f = <T>(k: string) => args.flags.get(k) as T | undefined;
    const backend = f<string>('backend') ?? 'webgpu';
    if (backend !== 'webgpu' && backend !== 'reference')
      throw new UsageError(
        `unknown backend "${backend}"`,
        'the data proxies run on webgpu (the default) or reference (the float64 interpreter)',
      );
    const file = args.positional[0]!;
    const flags = flagSettings(args);
    const search = f<string>('search');
    const r = openSearch(readSource(file), nodeHost, SECTION_VOCABULARIES, { ...(search ? { search } : {}), flags });
    if (!r.opened) {
      // A flag's mistake has no place in the source: a usage error.
      const d = r.diagnostics.find((x) => x.severity === 'error' && !x.span);
      if (d && !r.diagnostics.some((x) => x.span)) throw new UsageError(d.message, d.hint);
      report(r);
      return 1;
    }
    if (!report(r)) return 1;
    const { spec, space } = r.opened;

    // Where accuracy comes from: the section's table (relative to the file) or --truth (to here).
    const needsTruth = [...spec.goals, ...spec.limits].some((g) => OBJECTIVES[g.name].source === 'truth');
    let truth: TruthLookup | undefined;
    if (needsTruth && spec.truth) {
      const p =
        spec.truth.base === 'file' && !isAbsolute(spec.truth.path)
          ? join(dirname(file), spec.truth.path)
          : spec.truth.path;
      truth = loadTruth(p, space, {
        ...(spec.truth.key ? { key: spec.truth.key } : {}),
        ...(spec.truth.column ? { truth: spec.truth.column } : {}),
      });
    }
    const againstPath = f<string>('against');
    let ref: Reference | undefined;
    if (againstPath) {
      const t = loadTruth(againstPath, space, {});
      ref = reference(t.truth, t.byName);
    }

    const { createMeasurer } = await import('../../drivers/search/measure.js');
    const needsDevice = [...spec.goals, ...spec.limits].some((g) =>
      ['hardware', 'data'].includes(OBJECTIVES[g.name].source),
    );
    let measuring;
    try {
      measuring = await createMeasurer({ space, spec, ...(truth ? { truth } : {}), backend });
    } catch (e) {
      const { NoAdapterError } = await import('../../../runtime/device.js');
      if (e instanceof NoAdapterError) throw new CliError('MDL7008', e.message);
      if (needsDevice && e instanceof Error) throw new CliError('MDL7006', e.message);
      throw e;
    }

    // The log: resumed when it exists.
    const out = f<string>('out');
    const want = header(spec, space, measuring.about);
    let replay: Evaluated[] = [];
    let fd: number | undefined;
    if (out !== undefined) {
      if (existsSync(out) && statSync(out).size > 0) {
        let log;
        try {
          log = readLog(readFileSync(out, 'utf8'));
        } catch (e) {
          if (e instanceof LogError) throw new CliError('MDL8001', `${out} is not a search log: ${e.message}`);
          throw e;
        }
        const why = log.header ? headerMismatch(log.header, want) : 'it has no header line';
        if (why) throw new CliError('MDL8001', `${out} cannot be resumed by this search: ${why}`);
        replay = log.rows;
        truncateSync(out, Buffer.byteLength(readFileSync(out, 'utf8').slice(0, log.complete)));
      }
      try {
        fd = openSync(out, 'a');
        if (replay.length === 0 && statSync(out).size === 0) writeSync(fd, headerLine(want) + '\n');
      } catch (e) {
        throw cannotWrite(out, e);
      }
    }
    const quiet = f<boolean>('quiet') === true || process.stderr.isTTY !== true;
    let stop = false;
    const onSigint = () => (stop = true);
    process.once('SIGINT', onSigint);
    let result;
    try {
      result = await runSearch({
        spec,
        space,
        measure: measuring.measure,
        replay,
        stopped: () => stop,
        onEvaluated(e) {
          if (fd !== undefined) writeSync(fd, logLine(e) + '\n');
          if (!quiet) process.stderr.write(`\r\x1b[Kevaluated ${e.step + 1}: ${e.arch.slice(0, 60)}`);
        },
      });
    } catch (e) {
      if (e instanceof ResumeMismatch)
        throw new CliError('MDL8001', `${out} cannot be resumed by this search: ${e.message}`);
      throw e;
    } finally {
      process.removeListener('SIGINT', onSigint);
      if (!quiet) process.stderr.write('\r\x1b[K');
      if (fd !== undefined) closeSync(fd);
      measuring.dispose();
    }
    process.stdout.write(formatReport(spec, result, { file, sources: measuring.about, ...(ref ? { ref } : {}) }));
    const plot = f<string>('plot');
    if (plot) {
      writeFile(plot, searchSvg(spec, result, result.outcome.predictions));
      process.stdout.write(`wrote ${plot}\n`);
    }
    const emit = f<string>('emit');
    if (emit && result.best) {
      try {
        mkdirSync(emit, { recursive: true });
      } catch (e) {
        throw cannotWrite(emit, e);
      }
      const winners = [result.best, ...result.front.filter((e) => e !== result.best)];
      for (const w of winners) {
        const path = join(emit, `${emittedName(space, w.index)}.mdl`);
        const values = Object.entries(w.values)
          .filter(([, v]) => typeof v === 'number')
          .map(([k, v]) => `${k} ${fmt(v as number)}`)
          .join(', ');
        let text;
        try {
          text = emitCandidate(space, w.index, emit, [
            `Candidate ${w.index} of space \`${space.def.name}\` in ${file}: ${w.arch}`,
            `canonical hash ${w.hash ?? '-'}; found by \`mdl search\` (search ${spec.name}, seed ${spec.seed}, evaluation ${w.step})`,
            values,
          ]);
        } catch (e) {
          if (e instanceof EmitError) throw new CliError('MDL8002', `${path}: ${e.message}`);
          throw e;
        }
        writeFile(path, text);
        process.stdout.write(`wrote ${path}\n`);
      }
    }
    return stop ? 130 : 0;
  },
};
