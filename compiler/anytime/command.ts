// What `mdl summary --anytime` and anytime training check and print: a model is an anytime
// network when it has more than one exit or an optional path; every exit answers with logits
// of the model output's shape; the family stays small enough to enumerate.
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { sameShape } from '../ir/shape.js';
import type { Graph } from '../ir/types.js';
import { anytimeFamily, anytimeReport, type AnytimeFamily } from './analysis.js';
import { anytimeStructure, isAnytime, MAX_SUBNETS, subnetCount } from './family.js';
import { formatAnytime } from './format.js';

/** The family of an anytime model, or the diagnostic that says why it has none. */
export function checkedFamily(g: Graph): AnytimeFamily | Diagnostic {
  const s = anytimeStructure(g);
  const first = g.nodes[0]?.span;
  if (!isAnytime(s))
    return diag(
      'MDL8701',
      `${g.name} has one exit and no optional path: it has no sub-networks to train or report`,
      first,
    );
  const out = g.outputs[0] ? g.values[g.outputs[0].value]!.type.shape : [];
  for (const e of s.exits) {
    const shape = g.values[e.value]!.type.shape;
    if (!sameShape(shape, out)) {
      const node = g.nodes.find((n) => n.name === e.name);
      return diag(
        'MDL8703',
        `exit \`${e.name}\` gives [${shape.join(', ')}], the model output is [${out.join(', ')}]`,
        node?.span ?? first,
      );
    }
  }
  const n = subnetCount(s);
  if (n > MAX_SUBNETS)
    return diag('MDL8702', `${g.name} has ${n} sub-networks; at most ${MAX_SUBNETS} are enumerated`, first);
  return anytimeFamily(g);
}

export function anytimeSummary(g: Graph, bind: Readonly<Record<string, number>>, json: boolean): string | Diagnostic {
  const f = checkedFamily(g);
  if ('code' in f) return f;
  const r = anytimeReport(g, bind, f);
  return json ? JSON.stringify(r, null, 2) : formatAnytime(r);
}
