// `mdl train` on a section with `unlearning = teacher_student(…)`: image-to-image unlearning of
// an encoder–decoder model given by --init (compiler/drivers/unlearn/teacher-student.ts), its
// loss printed as it goes, and a checkpoint of the whole model (the unlearnt encoder, the decoder
// as it was) written to --out. Every user error is a coded one.
import type { TrainingBudget } from '../../train/spec.js';
import type { Graph } from '../../ir/types.js';
import type { TeacherStudentSpec } from '../../train/teacher-student.js';
import type { Split } from '../../../runtime/data/dataset.js';
import { CliError } from '../errors.js';
import { cannotWrite, isFsError } from '../files.js';

export interface TeacherStudentArgs extends TrainingBudget {
  readonly file: string;
  readonly graph: Graph;
  readonly spec: TeacherStudentSpec;
  readonly data: Split;
  readonly out: string;
  readonly init: string | undefined;
  readonly sourceHash: string;
}

export async function trainTeacherStudent(a: TeacherStudentArgs): Promise<number> {
  const { readCheckpoint, writeCheckpoint, CheckpointError } =
    await import('../../../runtime/checkpoint/safetensors.js');
  const { channelStats } = await import('../../../runtime/data/batches.js');
  const { unlearnTeacherStudent } = await import('../../drivers/unlearn/teacher-student.js');
  const { NoAdapterError } = await import('../../../runtime/device.js');
  if (a.init === undefined)
    throw new CliError('MDL8607', `${a.graph.name}: teacher–student unlearning needs the trained model (--init FILE)`);
  const classes = a.data.train.classes;
  const outside = a.spec.forgetClasses.filter((c) => c >= classes);
  if (outside.length > 0)
    throw new CliError(
      'MDL8606',
      `forget_classes ${outside.join(', ')} not in ${a.data.source}, whose classes are 0 to ${classes - 1}`,
    );
  let ckpt;
  try {
    ckpt = readCheckpoint(a.init);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(e.kind === 'damaged' ? 'MDL5009' : 'MDL5010', e.message);
    throw e;
  }
  const params = new Map<string, Float32Array>();
  for (const p of a.graph.params) {
    const t = ckpt.tensors.get(p.name);
    if (!t) throw new CliError('MDL5010', `${a.init} has no \`${p.name}\` of ${a.graph.name}`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      throw new CliError(
        'MDL5010',
        `${a.init}: \`${p.name}\` has shape [${t.shape.join(', ')}], the model's is [${p.shape.join(', ')}]`,
      );
    params.set(p.name, Float32Array.from(t.data));
  }
  const normText = ckpt.metadata['normalisation'];
  const norm = normText ? (JSON.parse(normText) as { mean: number[]; std: number[] }) : channelStats(a.data.train);
  const line = (s: string) => process.stderr.write(s + '\n');
  line(
    `teacher–student unlearning of classes ${a.spec.forgetClasses.join(', ')} from ${a.graph.name} (embedding \`${a.spec.embedding}\`, α = ${a.spec.alpha}) on ${a.data.source}`,
  );
  let res;
  try {
    res = await unlearnTeacherStudent({
      model: a.graph,
      spec: a.spec,
      params,
      data: a.data.train,
      norm,
      optimizer: a.optimizer,
      lr: a.lr,
      schedule: a.schedule,
      batch: a.batch,
      epochs: a.epochs,
      seed: a.seed,
      log: (s, l) => line(`step ${s}: loss ${l.toExponential(4)}`),
    });
  } catch (e) {
    if (e instanceof NoAdapterError) throw new CliError('MDL7008', e.message);
    if (e instanceof RangeError) throw new CliError('MDL8606', e.message, 'lower `batch` or raise per_class');
    throw e;
  }
  line(
    `${res.steps} steps on ${res.samples.retain} retain and ${res.samples.forget} forget images in ${res.seconds.toFixed(1)} s; ${res.graph.encoder.length} encoder tensors trained, ${res.graph.decoder.length} decoder tensors kept`,
  );
  const out = a.out.endsWith('.safetensors') ? a.out : `${a.out}/checkpoint.safetensors`;
  const tensors = new Map(a.graph.params.map((p) => [p.name, { shape: p.shape, data: res.params.get(p.name)! }]));
  const metadata: Record<string, string> = {
    model: a.graph.name,
    source: a.file,
    source_hash: a.sourceHash,
    normalisation: JSON.stringify(norm),
    unlearned_from: a.init,
    method: 'teacher-student',
    forget: `classes ${a.spec.forgetClasses.join(',')}`,
    alpha: String(a.spec.alpha),
    embedding: a.spec.embedding,
  };
  try {
    const { mkdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    mkdirSync(dirname(out), { recursive: true });
    writeCheckpoint(out, { tensors, metadata });
  } catch (e) {
    if (isFsError(e)) throw cannotWrite(e.path ?? out, e);
    throw e;
  }
  line(`wrote ${out}`);
  return 0;
}
