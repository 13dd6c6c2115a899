// `mdl summary --anytime` as text: one row per sub-network (its exit, what it skips, its own
// params and MACs, the TPS of its best path and TIPS's sampling probability), then the feature
// maps with the highest TAS.
import { groupDigits, siUnit, textTable } from '../analysis/format.js';
import type { AnytimeReport } from './analysis.js';

export function formatAnytime(r: AnytimeReport, topTas = 10): string {
  const t = textTable(
    ['sub-network', 'params', 'MACs', 'TPS', 'p(TIPS)'],
    r.subnets.map((s) => [s.name, groupDigits(s.params), siUnit(s.macs), s.tps.toFixed(4), s.probability.toFixed(4)]),
    1,
  );
  const tas = textTable(
    ['feature map', 'TAS'],
    r.tas.slice(0, topTas).map((v) => [v.vertex, v.tas.toFixed(5)]),
    1,
  );
  return [
    `anytime ${r.model}: ${r.exits.length} exit${r.exits.length === 1 ? '' : 's'} (${r.exits.join(', ')}), ${r.optional.length} optional path${r.optional.length === 1 ? '' : 's'}${r.optional.length ? ` (${r.optional.join(', ')})` : ''}, ${r.subnets.length} sub-networks`,
    '',
    ...t.header,
    ...t.rows,
    t.rule,
    '',
    `highest topological accumulated scores (TAS, of ${r.tas.length} feature maps):`,
    ...tas.header,
    ...tas.rows,
  ].join('\n');
}
