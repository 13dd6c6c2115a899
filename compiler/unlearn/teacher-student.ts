// The teacher–student graph of image-to-image unlearning (Li, Hsu, Chen, Marculescu, ICLR 2024):
// an IR → IR pass that takes an encoder–decoder model and the name of the layer whose output is
// the embedding, and builds the one graph a training step differentiates:
//
//   loss = mean_n( w_r[n]·‖E_θ(x)_n − E_θ0(x)_n‖² + w_f[n]·‖E_θ(x)_n − E_θ0(noise)_n‖² )
//
// with ‖·‖² the mean over an embedding's elements (the official code's per-sample mse). The
// encoder E is every layer the embedding depends on; the student E_θ is those layers with the
// model's own parameters (trained), the teacher E_θ0 a copy of them with parameters of its own,
// `teacher:<name>`, that are not trainable and start as the same trained weights. The decoder is
// not part of the graph: nothing downstream of the embedding enters the loss, so it gets no
// kernels at all, gradients included. Random layers (MAE's token masking) of the two teacher
// calls draw from the student's stream (their `key` set to the student layer's key), so the three
// encoder calls of a step mask every sample alike. The per-sample weights w_r, w_f (α and the
// retain/forget membership) and the noise images are inputs the host fills each step.
import { GraphEditor, RuleBuilder } from '../autodiff/builder.js';
import { fail } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { Graph, Node, Param, ValueId } from '../ir/types.js';
import { verifyGraph } from '../ops/verify.js';

/** The inputs the host feeds besides the model's image input. */
export const NOISE_INPUT = 'noise';
export const RETAIN_WEIGHT = 'retain_weight';
export const FORGET_WEIGHT = 'forget_weight';
/** Per-sample outputs [N]: the two distances before weighting (for logs and tests). */
export const RETAIN_DISTANCE = 'retain_distance';
export const FORGET_DISTANCE = 'forget_distance';

/** The teacher's copy of a parameter or buffer. */
export const teacherName = (param: string): string => `teacher:${param}`;

export interface TeacherStudent {
  readonly graph: Graph;
  /** The model's image input, by name. */
  readonly input: string;
  /** The encoder's parameters (trained), by name, in the model's order. */
  readonly encoder: readonly string[];
  /** The model's parameters the graph leaves out (the decoder's), by name. */
  readonly decoder: readonly string[];
  /** The random layers of the encoder whose streams the three calls share, by name. */
  readonly random: readonly string[];
}

/** Attributes naming a random stream: a layer draws from `key`, or from its own name when empty. */
const RANDOM_KEY = 'key';

/** The layer named `embedding` and every layer its output depends on, in graph order. */
function encoderOf(g: Graph, embedding: string): { last: Node; nodes: Node[] } {
  const last = g.nodes.find((n) => n.name === embedding);
  if (!last) {
    const dym = didYouMean(
      embedding,
      g.nodes.map((n) => n.name),
    );
    return fail('MDL8604', `${g.name} has no layer named \`${embedding}\``, undefined, {
      hint: `${dym ? dym + ' ' : ''}the embedding is the output of the encoder's last layer (see \`mdl summary\`)`,
    });
  }
  const needed = new Set<number>([last.id]);
  for (let i = last.id; i >= 0; i--) {
    if (!needed.has(i)) continue;
    for (const v of g.nodes[i]!.inputs) {
      const d = g.values[v]!.def;
      if (d.kind === 'node') needed.add(d.node);
    }
  }
  return { last, nodes: g.nodes.filter((n) => needed.has(n.id)) };
}

export function teacherStudent(g: Graph, embedding: string): TeacherStudent {
  const { last, nodes } = encoderOf(g, embedding);
  if (g.inputs.length !== 1)
    fail('MDL8605', `${g.name} has ${g.inputs.length} inputs; teacher–student unlearning feeds one image input`);
  const inId = g.inputs[0]!;
  const inDef = g.values[inId]!.def;
  const input = inDef.kind === 'input' ? inDef.name : 'x';
  const inType = g.values[inId]!.type;
  const emb = last.outputs[0]!;
  const embType = g.values[emb]!.type;
  if (embType.dtype !== 'f32' || embType.shape.length < 2)
    fail(
      'MDL8605',
      `the embedding \`${embedding}\` of ${g.name} is ${embType.dtype} [${embType.shape.join(', ')}]; it must be a float tensor with the batch first`,
      last.span,
    );
  if (embType.shape[0] !== inType.shape[0])
    fail(
      'MDL8605',
      `the embedding \`${embedding}\` has batch dimension ${embType.shape[0]}, the input ${inType.shape[0]}`,
      last.span,
    );

  // Parameters the encoder uses, in the model's order.
  const used = new Set<ValueId>();
  for (const n of nodes) for (const v of n.inputs) if (g.values[v]!.def.kind === 'param') used.add(v);
  const encParams = g.params.filter((p) => used.has(p.value));

  const ed = new GraphEditor({
    name: `${g.name}.teacher_student`,
    inputs: [],
    outputs: [],
    values: [],
    nodes: [],
    params: [],
    symbols: [...g.symbols],
  });
  const x = ed.addInput(input, inType);
  const noise = ed.addInput(NOISE_INPUT, inType);
  const batch = [inType.shape[0]!];
  const wr = ed.addInput(RETAIN_WEIGHT, { shape: batch, dtype: 'f32' });
  const wf = ed.addInput(FORGET_WEIGHT, { shape: batch, dtype: 'f32' });

  const addParam = (p: Param, name: string, trainable: boolean): ValueId => {
    const id = ed.values.length;
    ed.values.push({ id, type: g.values[p.value]!.type, def: { kind: 'param', param: ed.params.length } });
    ed.params.push({ ...p, id: ed.params.length, name, trainable: trainable && p.trainable, value: id });
    return id;
  };
  const student = new Map<ValueId, ValueId>();
  const teacher = new Map<ValueId, ValueId>();
  for (const p of encParams) student.set(p.value, addParam(p, p.name, true));
  for (const p of encParams) teacher.set(p.value, addParam(p, teacherName(p.name), false));

  const random: string[] = [];
  /** Re-emits the encoder on `from` with the given parameters; returns the embedding's value. */
  const emit = (prefix: string, from: ValueId, params: Map<ValueId, ValueId>): ValueId => {
    const map = new Map<ValueId, ValueId>([[inId, from], ...params]);
    for (const n of nodes) {
      const attrs = { ...n.attrs };
      // A random layer keyed by its own name would draw another stream under another name.
      if (typeof attrs[RANDOM_KEY] === 'string') {
        attrs[RANDOM_KEY] = attrs[RANDOM_KEY] || n.name;
        if (prefix === '') random.push(n.name);
      }
      const inputs = n.inputs.map((v) => {
        const m = map.get(v);
        if (m === undefined) throw new Error(`teacher–student: ${n.name} uses value ${v} before it is defined`);
        return m;
      });
      const out = ed.addNode(
        n.op,
        prefix + n.name,
        inputs,
        n.dataInputs,
        n.outputs.map((o) => g.values[o]!.type),
        attrs,
        n,
      );
      n.outputs.forEach((o, i) => map.set(o, out.outputs[i]!));
    }
    return map.get(emb)!;
  };
  const s = emit('', x, student);
  const t = emit('teacher.', x, teacher);
  const tn = emit('teacher_noise.', noise, teacher);

  // Per-sample mean squared distances, weighted, averaged over the batch.
  const b = new RuleBuilder(ed, true);
  b.tag = 'unlearn';
  const axes = embType.shape.map((_, i) => i).slice(1);
  const dist = (a: ValueId, c: ValueId) => {
    const d = b.op1('sub', [a, c]);
    return b.op1('mean', [b.op1('mul', [d, d])], { axes });
  };
  const dr = dist(s, t);
  const df = dist(s, tn);
  const per = b.op1('add', [b.op1('mul', [wr, dr]), b.op1('mul', [wf, df])]);
  const loss = b.op1('mean', [per], { axes: [0] });
  ed.outputs.push(
    { name: 'loss', value: loss },
    { name: RETAIN_DISTANCE, value: dr },
    { name: FORGET_DISTANCE, value: df },
  );
  const graph = ed.finish();
  verifyGraph(graph);
  return {
    graph,
    input,
    encoder: encParams.map((p) => p.name),
    decoder: g.params.filter((p) => !used.has(p.value)).map((p) => p.name),
    random,
  };
}
