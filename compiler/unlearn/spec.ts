// An `unlearn` section: the settings of `mdl unlearn` (Fast-NTK) kept in the model's file; the
// command's flags override them.
//
//   unlearn forget_tshirts {
//     model = resnet8_fmnist()
//     data = "fashion-mnist"
//     limit = 12000              # the training subset the model was trained on (mdl train --limit)
//     forget_classes = [0]       # or one int
//     retain = 1000              # retain samples the update sees (default: all the rest)
//     layers = batchnorm2d       # the parameter subset, as backward rules select layers
//     lambda = 1e-3
//     scale = 1.0
//     loss = "cross_entropy"     # or "mse"
//   }
//
// Every mistake is a located diagnostic.
import { diag, MdlError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { ModelRef, SettingsSection } from '../elaborate/elaborate.js';
import { repr } from '../elaborate/values.js';
import { parseSelector, type LayerSelector } from '../rashomon/select.js';
import { UNLEARN_LOSSES, type UnlearnLoss } from './residual.js';
import { SpecError, bad, num, posInt } from '../elaborate/spec-errors.js';

export interface UnlearnSpec {
  readonly name: string;
  readonly model: ModelRef | undefined;
  readonly data?: string;
  readonly limit?: number;
  readonly forgetClasses?: readonly number[];
  readonly retain?: number;
  readonly layers?: LayerSelector;
  readonly lambda?: number;
  readonly scale?: number;
  readonly loss?: UnlearnLoss;
}

/** An unlearn section calls nothing but its model. */
export const UNLEARN_VOCABULARY: readonly string[] = [];

const SETTINGS = ['data', 'limit', 'forget_classes', 'retain', 'layers', 'lambda', 'scale', 'loss'];

/** Checks an unlearn section and builds its spec; diagnostics instead when it has mistakes. */
export function unlearnSpec(section: SettingsSection): { spec?: UnlearnSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const get = (k: string) => section.settings.get(k);
  try {
    for (const [k, { span }] of section.settings)
      if (!SETTINGS.includes(k)) {
        const dym = didYouMean(k, ['model', ...SETTINGS]);
        diagnostics.push(
          diag('MDL3001', `an unlearn section has no setting \`${k}\``, span, {
            hint: `${dym ? dym + ' ' : ''}settings: model, ${SETTINGS.join(', ')}`,
          }),
        );
      }
    let spec: UnlearnSpec = { name: section.name, model: section.model };
    const data = get('data');
    if (data) {
      if (data.v.t !== 'str')
        bad(
          `\`data\` must be a data set name or a folder, got ${repr(data.v)}`,
          data.span,
          'e.g. data = "fashion-mnist"',
        );
      spec = { ...spec, data: data.v.v };
    }
    const limit = get('limit');
    if (limit) spec = { ...spec, limit: posInt(limit.v, '`limit`', limit.span) };
    const retain = get('retain');
    if (retain) spec = { ...spec, retain: posInt(retain.v, '`retain`', retain.span) };
    const fc = get('forget_classes');
    if (fc) {
      const items = fc.v.t === 'list' || fc.v.t === 'tuple' ? fc.v.items : [fc.v];
      if (items.length === 0) bad('`forget_classes` is empty', fc.span);
      const classes = items.map((x) => {
        if (x.t !== 'int' || x.v < 0) return bad(`\`forget_classes\` holds class indices, got ${repr(x)}`, fc.span);
        return x.v;
      });
      spec = { ...spec, forgetClasses: classes };
    }
    const layers = get('layers');
    if (layers) spec = { ...spec, layers: parseSelector(layers.v, layers.span) };
    const lambda = get('lambda');
    if (lambda) {
      const x = num(lambda.v, '`lambda`', lambda.span);
      if (!(x >= 0 && Number.isFinite(x))) bad(`\`lambda\` must be ≥ 0, got ${x}`, lambda.span);
      spec = { ...spec, lambda: x };
    }
    const scale = get('scale');
    if (scale) spec = { ...spec, scale: num(scale.v, '`scale`', scale.span) };
    const loss = get('loss');
    if (loss) {
      if (loss.v.t !== 'str' || !UNLEARN_LOSSES.includes(loss.v.v as UnlearnLoss))
        bad(
          `\`loss\` must be one of ${UNLEARN_LOSSES.map((l) => `"${l}"`).join(', ')}, got ${repr(loss.v)}`,
          loss.span,
        );
      spec = { ...spec, loss: loss.v.v as UnlearnLoss };
    }
    return diagnostics.length ? { diagnostics } : { spec, diagnostics };
  } catch (e) {
    if (e instanceof SpecError) return { diagnostics: [...diagnostics, e.d] };
    if (e instanceof MdlError) return { diagnostics: [...diagnostics, e.diagnostic] };
    throw e;
  }
}
