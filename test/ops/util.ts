// Test helpers for the op registry: a miniature argument binder (defaults, int2/ints
// normalisation, as registry.ts documents the elaborator must do) and error assertions.
import { expect } from 'vitest';
import { OPS, type OpName } from '../../compiler/ops/registry.js';
import { OpError, type Cost, type OpDef } from '../../compiler/ops/types.js';
import type { AttrValue, Attrs, Dim, DType, TensorType } from '../../compiler/ir/types.js';
import type { DiagnosticCode } from '../../compiler/diagnostics/codes.js';
import { concrete } from '../../compiler/ir/shape.js';

export const t = (shape: readonly Dim[], dtype: DType = 'f32'): TensorType => ({ shape, dtype });

/** Fill defaults and normalise as the elaborator's binder does. */
export function bind(op: OpDef, given: Record<string, AttrValue>): Attrs {
  const out: Record<string, AttrValue> = {};
  for (const spec of op.args) {
    if (spec.type === 'tensor' || spec.type === 'tensors') continue;
    let v = Object.prototype.hasOwnProperty.call(given, spec.name) ? given[spec.name]! : spec.default;
    if (v === undefined) throw new Error(`test bug: ${op.name} needs ${spec.name}`);
    if (spec.type === 'int2' && typeof v === 'number') v = [v, v];
    if (spec.type === 'ints' && typeof v === 'number') v = [v];
    out[spec.name] = v;
  }
  for (const k of Object.keys(given))
    if (!op.args.some((s) => s.name === k)) throw new Error(`test bug: ${op.name} has no arg ${k}`);
  return out;
}

export interface Applied {
  readonly outputs: readonly TensorType[];
  readonly attrs: Attrs;
  readonly params: ReturnType<NonNullable<OpDef['params']>>;
  /** Cost with symbolic dims bound by `bindings`. */
  cost(bindings?: Record<string, number>): Cost;
}

export function apply(name: OpName, inputs: readonly TensorType[], given: Record<string, AttrValue> = {}): Applied {
  const op: OpDef = OPS[name];
  const attrs = bind(op, given);
  const outputs = op.infer(inputs, attrs);
  const params = op.params ? op.params(inputs, attrs) : [];
  return {
    outputs,
    attrs,
    params,
    cost: (b = {}) =>
      op.cost({
        inputs: inputs.map((x) => concrete(x.shape, b)),
        params: params.map((p) => p.shape),
        outputs: outputs.map((x) => concrete(x.shape, b)),
        attrs,
      }),
  };
}

export const shapeOf = (
  name: OpName,
  inputs: readonly TensorType[],
  given: Record<string, AttrValue> = {},
): readonly Dim[] => apply(name, inputs, given).outputs[0]!.shape;

/** Expect `fn` to throw an OpError with `code` whose message contains every snippet. */
export function expectOpError(fn: () => unknown, code: DiagnosticCode, ...snippets: string[]): OpError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an OpError').toBeInstanceOf(OpError);
  const err = caught as OpError;
  expect(err.code, err.message).toBe(code);
  for (const s of snippets) expect(err.message).toContain(s);
  return err;
}

/** Expect an OpError from applying `name`, its message starting with `name: `. */
export function expectApplyError(
  name: OpName,
  inputs: readonly TensorType[],
  given: Record<string, AttrValue>,
  code: DiagnosticCode,
  ...snippets: string[]
): OpError {
  const err = expectOpError(() => apply(name, inputs, given), code, ...snippets);
  // The elaborator prefixes layer name and position; the message itself starts with `op:`.
  expect(err.message.startsWith(`${name}: `), err.message).toBe(true);
  return err;
}
