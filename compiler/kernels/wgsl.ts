// The WGSL renderer: a thin printer from the kernel IR to a compute shader. Every strategy
// decision (tiling, vector width, which operand is uniform) was made before this point; the
// renderer only spells the IR in WGSL, fully parenthesised, with literals WGSL accepts
// (finite only), and the helpers the kernel uses (erf, Philox).
import type { Binding, Expr, Kernel, Stmt, VType } from './ir.js';

const WGSL_TYPE: Record<VType, string> = { f32: 'f32', i32: 'i32', u32: 'u32', bool: 'bool', vec4f: 'vec4<f32>' };

function f32Lit(v: number): string {
  const x = Math.fround(v);
  // WGSL rejects non-finite constants; lowerings use the largest finite float instead.
  if (!Number.isFinite(x)) throw new Error(`kernel IR: the f32 literal ${v} is not finite`);
  if (Object.is(x, -0)) return '-0.0f';
  // The float's exact value as the shortest double that round-trips (never beyond f32's range).
  let s = String(x);
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    s = `${m!.includes('.') ? m : `${m}.0`}e${e}`;
  } else if (!s.includes('.')) s += '.0';
  return `${s}f`;
}

export function renderExpr(e: Expr): string {
  switch (e.k) {
    case 'lit':
      if (e.t === 'bool') return String(e.v);
      if (e.t === 'f32') return f32Lit(e.v as number);
      if (e.t === 'u32') return `${e.v as number}u`;
      return (e.v as number) < 0 ? `(${e.v as number}i)` : `${e.v as number}i`;
    case 'ref':
      return e.name;
    case 'bin':
      return `(${renderExpr(e.a)} ${e.op} ${renderExpr(e.b)})`;
    case 'un':
      return e.op === 'neg' ? `(-${renderExpr(e.a)})` : `(!${renderExpr(e.a)})`;
    case 'call':
      if (e.fn === 'erf') return `mdl_erf(${renderExpr(e.args[0]!)})`;
      if (e.fn === 'philox_word') return `mdl_philox_word(${e.args.map(renderExpr).join(', ')})`;
      return `${e.fn}(${e.args.map(renderExpr).join(', ')})`;
    case 'sel':
      // WGSL's select(false_value, true_value, condition).
      return `select(${renderExpr(e.b)}, ${renderExpr(e.a)}, ${renderExpr(e.c)})`;
    case 'cast':
      return `${e.t}(${renderExpr(e.a)})`;
    case 'load':
      return `${e.buf}[${renderExpr(e.i)}]`;
    case 'elem':
      return `${e.arr}[${renderExpr(e.i)}]`;
    case 'lane':
      return `${renderExpr(e.a)}.${'xyzw'[e.i]}`;
    case 'vec':
      return `vec4<f32>(${e.args.map(renderExpr).join(', ')})`;
  }
}

function renderStmts(ss: readonly Stmt[], ind: string, out: string[]): void {
  for (const s of ss) {
    switch (s.k) {
      case 'let':
        out.push(
          s.mut
            ? `${ind}var ${s.name}: ${WGSL_TYPE[s.t]} = ${renderExpr(s.e)};`
            : `${ind}let ${s.name} = ${renderExpr(s.e)};`,
        );
        break;
      case 'arr':
        out.push(`${ind}var ${s.name}: array<${WGSL_TYPE[s.t]}, ${s.n}>;`);
        break;
      case 'set':
        out.push(`${ind}${s.name} ${s.op ?? ''}= ${renderExpr(s.e)};`);
        break;
      case 'setelem':
        out.push(`${ind}${s.arr}[${renderExpr(s.i)}] = ${renderExpr(s.e)};`);
        break;
      case 'store':
        out.push(`${ind}${s.buf}[${renderExpr(s.i)}] = ${renderExpr(s.e)};`);
        break;
      case 'for':
        out.push(
          `${ind}for (var ${s.v}: i32 = ${renderExpr(s.from)}; ${s.v} < ${renderExpr(s.to)}; ${s.v} += ${s.step}i) {`,
        );
        renderStmts(s.body, ind + '  ', out);
        out.push(`${ind}}`);
        break;
      case 'if':
        out.push(`${ind}if (${renderExpr(s.c)}) {`);
        renderStmts(s.then, ind + '  ', out);
        if (s.else && s.else.length > 0) {
          out.push(`${ind}} else {`);
          renderStmts(s.else, ind + '  ', out);
        }
        out.push(`${ind}}`);
        break;
      case 'barrier':
        out.push(`${ind}workgroupBarrier();`);
        break;
      case 'comment':
        out.push(`${ind}// ${s.text.replace(/\n/g, ' ')}`);
        break;
    }
  }
}

const ERF = `// erf, Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7).
fn mdl_erf(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0f / (1.0f + 0.3275911f * a);
  let y = 1.0f - (((((1.061405429f * t - 1.453152027f) * t) + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t * exp(-a * a);
  return select(-y, y, x >= 0.0f);
}`;

const PHILOX = `// Philox4x32-10 (Salmon et al., SC 2011), as runtime/random/philox.ts.
fn mdl_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2<u32>(ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u), a * b);
}
fn mdl_philox_word(c0: u32, c1: u32, k0: u32, k1: u32, lane: u32) -> u32 {
  var x = vec4<u32>(c0, c1, 0u, 0u);
  var key = vec2<u32>(k0, k1);
  for (var r = 0; r < 10; r++) {
    let p0 = mdl_mulhilo(0xd2511f53u, x.x);
    let p1 = mdl_mulhilo(0xcd9e8d57u, x.z);
    x = vec4<u32>(p1.x ^ x.y ^ key.x, p1.y, p0.x ^ x.w ^ key.y, p0.y);
    key = key + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return x[lane];
}`;

function bindingDecl(b: Binding, i: number): string {
  if (b.kind === 'uniform') return `@group(0) @binding(${i}) var<uniform> ${b.name}: vec4<u32>;`;
  const t = b.elem === 'vec4f' ? 'vec4<f32>' : b.elem;
  return `@group(0) @binding(${i}) var<storage, ${b.kind}> ${b.name}: array<${t}>;`;
}

/**
 * The kernel as WGSL. The kernel's name is not part of the text, so identical kernels (the
 * repeated blocks of a network) render identically and compile once.
 */
export function renderWgsl(k: Kernel): string {
  const out: string[] = [];
  k.bindings.forEach((b, i) => out.push(bindingDecl(b, i)));
  for (const s of k.shared) out.push(`var<workgroup> ${s.name}: array<${WGSL_TYPE[s.t]}, ${s.n}>;`);
  // The body first: the helpers it calls are declared before it, found in its text (walking
  // the IR for them twice took longer than the rendering).
  const body: string[] = [];
  renderStmts(k.body, '  ', body);
  const text = body.join('\n');
  if (text.includes('mdl_erf(')) out.push(ERF);
  if (text.includes('mdl_philox_word(')) out.push(PHILOX);
  const [x, y, z] = k.workgroup;
  out.push(`@compute @workgroup_size(${x}, ${y}, ${z})`);
  out.push(
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {',
  );
  // Reference every builtin once so none is reported unused.
  out.push('  _ = gid; _ = lid; _ = wid; _ = nwg;');
  if (body.length > 0) out.push(text);
  out.push('}');
  return out.join('\n') + '\n';
}
