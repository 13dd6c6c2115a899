// A compiled classifier in a browser: the folder `mdl compile` wrote, fetched from a URL
// (plan.json and the kernels it names), on a device from `navigator.gpu`. Training and
// inference are runtime/model-core.ts's, the same code Node's CompiledModel runs, so a page
// gets the same typed API (trainStep, forward, state, setState) and the same numbers.
import { loadBundle, type ModelBundle } from '../plan/bundle.js';
import { PlanFormatError } from '../plan/plan-json.js';
import { createParts, ModelCore, ModelLoadError, type ModelParts } from '../model-core.js';
import {
  acquireBrowserDevice,
  formatBrowserReport,
  type BrowserAcquired,
  type BrowserAdapterReport,
} from './device.js';

export interface BrowserLoadOptions {
  /** Seed of the parameters' initialisation and of the random streams (dropout). Default 0. */
  readonly seed?: number;
  /** A device to run on; by default one is acquired (and destroyed by `dispose`). */
  readonly device?: BrowserAcquired;
  /** `dispose` destroys the given `device` too. */
  readonly ownsDevice?: boolean;
  /** The fetch to use (default the global one): e.g. one that adds credentials. */
  readonly fetch?: typeof fetch;
}

export class BrowserModel<Name extends string = string> extends ModelCore<Name> {
  private constructor(
    parts: ModelParts,
    /** The adapter the model runs on. */
    readonly adapter: BrowserAdapterReport,
  ) {
    super(parts);
  }

  /**
   * Loads the folder `mdl compile` wrote from `url` (its address, relative to the page's):
   * plan.json and every kernel it names, fetched concurrently. Every pipeline is created (and
   * compiled by the driver) before this returns.
   */
  static async load<N extends string = string>(
    url: string | URL,
    opts: BrowserLoadOptions = {},
  ): Promise<BrowserModel<N>> {
    const bundle = await fetchBundle(url, opts.fetch ?? globalThis.fetch.bind(globalThis));
    return BrowserModel.create<N>(bundle, opts);
  }

  /** A model from a bundle already in memory. */
  static async create<N extends string = string>(
    bundle: ModelBundle,
    opts: BrowserLoadOptions = {},
  ): Promise<BrowserModel<N>> {
    const acq = opts.device ?? (await acquireBrowserDevice());
    const owns = !opts.device || opts.ownsDevice === true;
    try {
      // No sleeping before awaiting the GPU: that is against Dawn's spinning thread in Node.
      return new BrowserModel<N>(await createParts(bundle, acq, opts.seed ?? 0, owns, false), acq.report);
    } catch (e) {
      if (owns) acq.device.destroy();
      throw e;
    }
  }

  protected override adapterLine(): string {
    return formatBrowserReport(this.adapter);
  }
}

/** The folder's address as a base URL (a trailing slash, so relative names resolve inside it). */
function folderUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const u = new URL(url, base);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

/** plan.json and its kernels from the folder at `url`, as a bundle. Throws ModelLoadError. */
export async function fetchBundle(url: string | URL, fetchFn: typeof fetch): Promise<ModelBundle> {
  const root = folderUrl(url);
  const get = async (file: string): Promise<string> => {
    const at = new URL(file, root);
    let res: Response;
    try {
      res = await fetchFn(at);
    } catch (e) {
      throw new ModelLoadError(`${at}: cannot fetch it (${(e as Error).message})`);
    }
    if (!res.ok) throw new ModelLoadError(`${at}: HTTP ${res.status}; is ${root} a folder written by \`mdl compile\`?`);
    return res.text();
  };
  let json: unknown;
  const planText = await get('plan.json');
  try {
    json = JSON.parse(planText);
  } catch {
    throw new ModelLoadError(`${new URL('plan.json', root)}: not valid JSON`);
  }
  // loadBundle reads kernels synchronously: fetch every file the plans name first.
  const kernels = new Map<string, string>();
  await Promise.all(
    kernelFiles(json).map(async (file) => {
      // Kernel files are named relative to the folder and stay inside it.
      if (/^[a-z][a-z0-9+.-]*:|^[\\/]/i.test(file) || file.split(/[\\/]/).includes('..'))
        throw new ModelLoadError(`${new URL('plan.json', root)}: kernel file ${file} is outside ${root}`);
      kernels.set(file, await get(file));
    }),
  );
  try {
    return loadBundle(json, (file) => {
      const text = kernels.get(file);
      if (text === undefined) throw new PlanFormatError(`kernel file ${JSON.stringify(file)} is not a string`);
      return text;
    });
  } catch (e) {
    if (e instanceof PlanFormatError) throw new ModelLoadError(`${new URL('plan.json', root)}: ${e.message}`);
    throw e;
  }
}

/** The kernel files a bundle's plans name (any malformed part is left for loadBundle to report). */
function kernelFiles(json: unknown): string[] {
  const files = new Set<string>();
  for (const plan of ['train', 'forward']) {
    const dispatches = (json as Record<string, { dispatches?: unknown } | undefined> | null)?.[plan]?.dispatches;
    if (Array.isArray(dispatches))
      for (const d of dispatches)
        if (typeof (d as { wgsl?: unknown })?.wgsl === 'string') files.add((d as { wgsl: string }).wgsl);
  }
  return [...files];
}
