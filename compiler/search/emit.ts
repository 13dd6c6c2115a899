// `mdl search --emit DIR`: a found candidate as a model file of its own, its choices fixed. The
// file imports the model the space builds (and every block its choices name) from where they
// are defined, and declares
//   - `model <space>_<index>(inputs)`, which calls that model inline (`as ""`, so the layers keep
//     their names) with the candidate's arguments written out as values: what `mdl summary`,
//     `mdl train` and `mdl compile` take;
//   - a one-candidate space over it, so `mdl score` takes the file too and gives the canonical
//     hash of the candidate it came from;
//   - the search file's train section, when it has one, with its model replaced by this one.
import { posix, relative, sep } from 'node:path';
import { formatShape } from '../ir/shape.js';
import type { Graph } from '../ir/types.js';
import type { V } from '../elaborate/values.js';
import { candidate, type OpenSpace } from '../space/space.js';

export class EmitError extends Error {}

/** The model's name in the emitted file. */
export function emittedName(space: OpenSpace, index: bigint): string {
  return `${space.def.name}_${index}`;
}

/** An import path from a file in `dir` to module `path` (`std/…` stays as it is). */
function importPath(path: string, dir: string): string {
  const bare = path.replace(/\.mdl$/, '');
  if (bare.startsWith('std/')) return bare;
  const rel = relative(dir, bare).split(sep).join(posix.sep);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * The text of the model file of candidate `index`, to be written into folder `dir`; `header`
 * lines become the file's opening comment.
 */
export function emitCandidate(space: OpenSpace, index: bigint, dir: string, header: readonly string[]): string {
  const inst = candidate(space, index);
  if (!inst.graph || !inst.model) throw new EmitError(`candidate ${index} does not build`);
  const imports = new Map<string, Set<string>>();
  const need = (path: string, name: string) => {
    const s = imports.get(path) ?? new Set<string>();
    s.add(name);
    imports.set(path, s);
  };
  const ref = inst.model;
  need(ref.module.path, ref.def.name);
  const render = (v: V): string => {
    switch (v.t) {
      case 'int':
        return String(v.v);
      case 'float': {
        const s = String(v.v);
        return /[.eE]/.test(s) ? s : `${s}.0`;
      }
      case 'bool':
        return v.v ? 'true' : 'false';
      case 'str':
        return JSON.stringify(v.v);
      case 'none':
        return 'none';
      case 'list':
        return `[${v.items.map(render).join(', ')}]`;
      case 'tuple':
        return v.items.length === 1 ? `(${render(v.items[0]!)},)` : `(${v.items.map(render).join(', ')})`;
      case 'op':
        return v.op.name;
      case 'def':
        if (v.def.kind !== 'block' && v.def.kind !== 'model')
          throw new EmitError(`an argument names ${v.def.kind} ${v.def.name}, which a model file cannot take`);
        need(v.module.path, v.def.name);
        return v.def.name;
      default:
        throw new EmitError(`an argument of the candidate is a ${v.t}, which cannot be written as a value`);
    }
  };
  const args = [...ref.args].map(([k, v]) => `${k}=${render(v)}`);
  const g = inst.graph;
  const inputs = inputSignature(g);
  const name = emittedName(space, index);
  const bound = new Set<string>();
  for (const names of imports.values())
    for (const n of names) {
      if (bound.has(n)) throw new EmitError(`two imported definitions are both called ${n}`);
      bound.add(n);
    }
  const call = `${ref.def.name}(${[...inputs.map((i) => i.name), ...args].join(', ')})`;
  const lines = [
    ...header.map((h) => `# ${h}`),
    ...[...imports].map(([path, names]) => `from "${importPath(path, dir)}" import ${[...names].sort().join(', ')}`),
    '',
    `model ${name}(${inputs.map((i) => `${i.name}: ${i.type}`).join(', ')}) {`,
    `  return ${call} as ""`,
    '}',
    '',
    '# The candidate as a space of one: `mdl score` gives its canonical hash.',
    `space ${name}_space {`,
    `  model = ${name}()`,
    '}',
  ];
  const train = trainSection(space, name);
  if (train) lines.push('', train);
  return lines.join('\n') + '\n';
}

function inputSignature(g: Graph): { name: string; type: string }[] {
  return g.inputs.map((v) => {
    const val = g.values[v]!;
    const name = val.def.kind === 'input' ? val.def.name : `x${v}`;
    const shape = formatShape(val.type.shape);
    const type = val.type.dtype === 'f32' ? `Tensor${shape}` : `${val.type.dtype}${shape}`;
    return { name, type };
  });
}

/**
 * The search file's train section (its only one), with `model = …` naming the emitted model;
 * undefined when the file has none, or several (which one would be meant?).
 */
function trainSection(space: OpenSpace, model: string): string | undefined {
  const defs = space.elaborator.sections('train');
  if (defs.length !== 1) return undefined;
  const def = defs[0]!;
  const text = space.sources.get(def.span.file)?.text;
  if (text === undefined) return undefined;
  let out = '';
  let pos = def.span.start;
  let replaced = false;
  for (const s of def.body) {
    if (s.kind === 'assign' && s.targets.length === 1 && s.targets[0]!.name === 'model') {
      out += text.slice(pos, s.span.start) + `model = ${model}()`;
      pos = s.span.end;
      replaced = true;
    }
  }
  out += text.slice(pos, def.span.end);
  return replaced ? `# The search file's train section, for this model.\n${out}` : undefined;
}
