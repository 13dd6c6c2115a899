// The costly values of a search's candidates, as compiler/search/problem.ts asks for them: the
// hardware costs on the adapter (hardware.ts), the data-dependent proxies on real batches (the
// proxies' own driver, compiler/drivers/proxies, with `mdl score`'s data and seed conventions),
// and the true accuracy from a table, by candidate name.
import type { Graph } from '../../ir/types.js';
import type { Measurer } from '../../search/problem.js';
import { OBJECTIVES, type HardwareObjective, type ObjectiveName } from '../../search/objectives.js';
import type { SearchSpec } from '../../search/spec.js';
import type { TruthLookup } from '../../space/against.js';
import { classesOf, imageInput } from '../../space/data-proxies/layers.js';
import type { ProxyBackend } from '../../space/data-proxies/program.js';
import { batchesFor } from '../../space/proxies.js';
import { candidate, type OpenSpace } from '../../space/space.js';
import { proxyBackend } from '../proxies/backend.js';
import { proxyBatches, type ProxyData } from '../proxies/data.js';
import { measure } from '../proxies/measure.js';
import { HardwareMeter } from './hardware.js';

export interface MeasurerOptions {
  readonly space: OpenSpace;
  readonly spec: SearchSpec;
  /** The truth table's lookup, when `accuracy` is an objective or a limit. */
  readonly truth?: TruthLookup;
  /** Where the data proxies run (default webgpu). */
  readonly backend?: 'webgpu' | 'reference';
}

export interface Measuring {
  readonly measure: Measurer;
  /** What measures what, for the report and the log's header. */
  readonly about: readonly string[];
  dispose(): void;
}

export class MissingTruth extends Error {}

export async function createMeasurer(o: MeasurerOptions): Promise<Measuring> {
  const { spec, space } = o;
  const names = [...new Set([...spec.goals, ...spec.limits].map((g) => g.name))];
  const of = (source: string) => names.filter((n) => OBJECTIVES[n].source === source);
  const about: string[] = [];
  let meter: HardwareMeter | undefined;
  let data: { batches: ProxyData; backend: ProxyBackend } | undefined;
  const disposeAll = () => {
    meter?.dispose();
    data?.backend.dispose();
  };
  try {
    if (of('hardware').length) {
      meter = await HardwareMeter.create();
      about.push(`hardware: ${of('hardware').join(', ')} at batch ${spec.batch} on ${meter.description}`);
    }
    const dataNames = of('data');
    if (dataNames.length) {
      const first = candidate(space, 0n).graph;
      if (!first)
        throw new Error("the space's first candidate does not build; the data proxies take their input shape from it");
      const input = imageInput(first);
      const batches = proxyBatches(
        spec.data.name,
        input.shape,
        classesOf(first),
        spec.data.batch,
        spec.data.seed,
        batchesFor(dataNames),
      );
      const backend = await proxyBackend(o.backend ?? 'webgpu');
      data = { batches, backend };
      about.push(
        `data proxies: ${dataNames.join(', ')} on ${batches.description}, batch ${spec.data.batch}, seed ${spec.data.seed}, on ${backend.description}`,
      );
    }
    if (of('truth').length && o.truth) about.push(`truth: column ${o.truth.truth} by ${o.truth.key}`);
  } catch (e) {
    disposeAll();
    throw e;
  }
  const graphOf = (index: bigint): Graph => {
    const g = candidate(space, index).graph;
    if (!g) throw new Error('the candidate does not build');
    return g;
  };
  const run: Measurer = async (index, arch, want: readonly ObjectiveName[]) => {
    const out: Record<string, number> = {};
    const hw = want.filter((n) => OBJECTIVES[n].source === 'hardware') as HardwareObjective[];
    const dp = want.filter((n) => OBJECTIVES[n].source === 'data');
    let g: Graph | undefined;
    if (hw.length) Object.assign(out, await meter!.measure((g ??= graphOf(index)), hw, spec.batch));
    if (dp.length)
      Object.assign(
        out,
        await measure(g ?? graphOf(index), {
          backend: data!.backend,
          batches: data!.batches.batches,
          batch: spec.data.batch,
          seed: spec.data.seed,
          proxies: dp,
        }),
      );
    if (want.includes('accuracy')) {
      const t = o.truth?.byName.get(arch);
      if (t === undefined) throw new MissingTruth(`the truth table has no row for ${arch}`);
      out['accuracy'] = t;
    }
    return out;
  };
  return { measure: run, about, dispose: disposeAll };
}
