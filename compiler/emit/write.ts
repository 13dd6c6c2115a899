// Writes the folder `mdl compile` produces:
//
//   model.ts, model.js     the typed module and its JavaScript (generate.ts)
//   plan.json              both plans: buffers, dispatches, bindings, parameter table (runtime/plan/bundle.ts)
//   kernels/NNN_name.wgsl  the WGSL of every kernel, shared between the plans
//   package.json           `"type": "module"` and a dependency on mdl-nn, by the version that
//                          compiled it (no path of this machine: a copy installs it elsewhere)
//   node_modules/mdl-nn    a link to the mdl that compiled it, what `npm install` would make of
//                          the dependency, so `node DIR/model.js` runs at once from any folder
//   README.md              what the files are and how to use them
//
// A folder that exists and holds anything but an earlier `mdl compile` output is never written
// into. Recompiling into an earlier output replaces its kernels and generated files and keeps
// everything else (training runs, checkpoints).
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FORMAT, type BundleJson } from '../../runtime/plan/bundle.js';
import type { KernelFiles } from '../../runtime/plan/plan-json.js';
import type { GeneratedModule } from './generate.js';
import { PACKAGE_NAME } from './package-name.js';

export class OutputError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The root of the mdl package this code runs from (the folder of its package.json). */
export function packageRoot(): { root: string; version: string } {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const p = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
      if (p.name === PACKAGE_NAME) return { root: dir, version: p.version ?? '0.0.0' };
    }
    if (dirname(dir) === dir) throw new Error('mdl: cannot find its own package.json');
  }
}

/** True when `dir` is an earlier `mdl compile` output: its plan.json says so. */
function isCompiled(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { format?: unknown }).format === BUNDLE_FORMAT;
  } catch {
    return false;
  }
}

/** Checks `dir` may be written: absent, empty, or an earlier output. */
export function checkOutputDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OutputError(`${dir} is a file`, 'choose a folder with -o DIR');
  if (readdirSync(dir).length > 0 && !isCompiled(dir))
    throw new OutputError(
      `${dir} is not empty and was not written by \`mdl compile\`; it is left as it is`,
      'choose a new or empty folder with -o DIR',
    );
}

export interface Output {
  readonly dir: string;
  readonly bundle: BundleJson;
  readonly kernels: KernelFiles;
  readonly module: GeneratedModule;
  readonly readme: string;
}

export function writeOutput(o: Output): string[] {
  checkOutputDir(o.dir);
  const { root, version } = packageRoot();
  const dir = o.dir;
  mkdirSync(dir, { recursive: true });
  // An earlier output's kernels go: their numbering changes with the plan.
  rmSync(join(dir, 'kernels'), { recursive: true, force: true });
  mkdirSync(join(dir, 'kernels'));
  const files: string[] = [];
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  for (const k of o.kernels.files) put(k.file, k.wgsl);
  put('plan.json', JSON.stringify(o.bundle, null, 1) + '\n');
  put('model.ts', o.module.ts);
  put('model.js', o.module.js);
  put('README.md', o.readme);
  const pkg = {
    name: `${o.bundle.info.model.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}-compiled`,
    private: true,
    type: 'module',
    main: 'model.js',
    dependencies: { [PACKAGE_NAME]: `^${version}` },
  };
  put('package.json', JSON.stringify(pkg, null, 2) + '\n');
  // What `npm install` would put there: the package, here a link to the mdl that compiled the
  // folder. (An mdl installed there some other way is left alone.)
  const link = join(dir, 'node_modules', PACKAGE_NAME);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  if (isLink(link)) rmSync(link, { force: true });
  if (!existsSync(link)) symlinkSync(resolve(root), link, 'junction');
  return files;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
