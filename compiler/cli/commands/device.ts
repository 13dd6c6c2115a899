// `mdl device`: which WebGPU adapter mdl finds here, by which route, and its limits.
import { applyRoute } from '../route.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { SPECS } from './specs.js';

export const device: Command = {
  spec: SPECS.device,
  async run(args) {
    const route = applyRoute(args);
    const { acquireDevice, formatReport, NoAdapterError } = await import('../../../runtime/device.js');
    try {
      const a = await acquireDevice({ route });
      if (args.flags.get('json')) process.stdout.write(JSON.stringify(a.report, null, 2) + '\n');
      else {
        process.stdout.write(formatReport(a.report) + '\n');
        for (const [k, v] of Object.entries(a.report.limits)) process.stdout.write(`  ${k.padEnd(36)} ${v}\n`);
        process.stdout.write(`  features: ${a.report.features.join(', ')}\n`);
      }
      a.device.destroy();
      return 0;
    } catch (e) {
      if (e instanceof NoAdapterError)
        throw new CliError('MDL7008', e.message, '--route native or --route opengl tries one route alone');
      throw e;
    }
  },
};
