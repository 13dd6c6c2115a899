// --route on every command that uses the device: the route is checked like any flag, and the
// device the command opens is the one the route names (the commands say which adapter they use).
import { describe, expect, it } from 'vitest';
import { SPECS } from '../../compiler/cli/commands/specs.js';
import { mdl } from '../helpers/cli.js';

describe('--route', () => {
  it('every command that can open the device takes it', () => {
    const takes = Object.values(SPECS)
      .filter((c) => 'route' in c.flags)
      .map((c) => c.name);
    expect(takes.sort()).toEqual(['compile', 'device', 'kernels', 'rashomon', 'score', 'search', 'train', 'unlearn']);
    for (const c of Object.values(SPECS).filter((x) => 'route' in x.flags))
      if (c.name !== 'device') expect(c.usage).toContain('--route auto|native|opengl');
  });

  it('an unknown route is a usage error naming the routes', () => {
    const r = mdl('kernels', 'examples/lenet5.mdl', '--route', 'metal');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown route "metal"');
    expect(r.err).toContain('routes: auto, native, opengl');
  });

  it('the command plans for the adapter the route reaches', () => {
    const gl = mdl('kernels', 'examples/lenet5.mdl', '--route', 'opengl');
    expect(gl.code).toBe(0);
    expect(gl.out).toContain('via OpenGL ES (compatibility mode)');
    const native = mdl('kernels', 'examples/lenet5.mdl', '--route', 'native');
    expect(native.code).toBe(0);
    expect(native.out).toContain('via Dawn');
  });
});
