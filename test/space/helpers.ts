// Shared helpers of the search-space tests: open example spaces, read the NB201 fixtures.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { compileModel } from '../../compiler/compile.js';
import type { Graph } from '../../compiler/ir/types.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import { openSpace, type OpenSpace } from '../../compiler/space/space.js';
import { readCsvTable, type Table } from '../../compiler/space/table.js';
import { memoryHost, render } from '../helpers/compile.js';

export function space(path: string, name?: string): OpenSpace {
  const r = openSpace({ path, text: readFileSync(path, 'utf8') }, nodeHost, name);
  if (!r.space) throw new Error(`${path}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.space;
}

export function spaceText(text: string, files: Record<string, string> = {}): ReturnType<typeof openSpace> {
  return openSpace({ path: 'test.mdl', text }, memoryHost(files));
}

export function graphOfFile(path: string, args: Record<string, never> = {}): Graph {
  const r = compileModel({ path, text: readFileSync(path, 'utf8') }, nodeHost, args);
  if (!r.graph) throw new Error(render(r));
  return r.graph;
}

export const NB201_CSV = 'test/fixtures/nb201/nats_tss_15625_test_acc.csv.gz';

let table: Table | undefined;
/** NATS-Bench TSS test accuracies (the oracle CSV of ../shared/oracles/nb201, gzipped). */
export function nb201Table(): Table {
  return (table ??= readCsvTable(gunzipSync(readFileSync(NB201_CSV)).toString('utf8')));
}

/** NASLib's per-architecture params (M) and its own 'flops' (M) for 491 NB201 cells. */
export function naslib(): Record<string, { params: number; flops: number }> {
  return JSON.parse(readFileSync('test/fixtures/nb201/naslib_cifar10_params_flops.json', 'utf8')) as Record<
    string,
    { params: number; flops: number }
  >;
}

/** The NB201 arch string's six ops, in string order. */
export function nb201Ops(arch: string): string[] {
  return arch
    .split(/[|+]/)
    .filter(Boolean)
    .map((s) => s.split('~')[0]!);
}
