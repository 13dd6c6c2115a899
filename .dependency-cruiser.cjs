// The layering rules of mdl, checked in CI (`npm run deps`). docs/architecture.md explains them.
//
// LAYERS lists the layers from the bottom up. A module may import its own layer and the layers
// below it, never one above: an upward import fails the build, as does any import cycle. The
// runtime is a column of its own: it executes plans and imports nothing of the compiler. The
// compiler writes the runtime's formats, so below the drivers it may import the plan format and
// the random streams (runtime/plan, runtime/random), and anything else of the runtime only as
// types. The drivers (training loops, proxy measurement, and the applications to come) combine
// both; the command line sits on top.
const LAYERS = [
  ['runtime', '^runtime/'],
  ['foundation', '^compiler/(source\\.ts|diagnostics/)'],
  ['syntax', '^grammar/(?!generate/)'],
  ['ir', '^compiler/ir/'],
  ['reference', '^compiler/reference/'],
  ['ops', '^compiler/ops/'],
  ['front', '^compiler/(modules|elaborate)/'],
  ['interp', '^compiler/interp/'],
  ['autodiff', '^compiler/autodiff/'],
  ['analysis', '^compiler/analysis/'],
  ['rewrites', '^compiler/rewrites/'],
  ['train', '^compiler/train/'],
  ['space', '^compiler/space/'],
  // The research methods' compile-time parts (their sections' specs, analyses, algorithms that
  // need no device); what they run lives in compiler/drivers/.
  ['methods', '^compiler/(search|rashomon|continual|unlearn|anytime)/'],
  ['compile', '^compiler/(compile|sections)\\.ts$'],
  ['kernels', '^compiler/kernels/'],
  ['emit', '^compiler/emit/'],
  ['drivers', '^compiler/drivers/'],
  ['cli', '^(compiler/cli/|grammar/generate/)'],
];

const union = (xs) => `(${xs.map(([, re]) => re).join('|')})`;

const layerRules = LAYERS.slice(1).map(([name, re], i) => ({
  name: `layer-${name}`,
  comment: `${name} imports only the layers below it: ${LAYERS.slice(0, i + 1)
    .map(([n]) => n)
    .join(', ')}`,
  severity: 'error',
  from: { path: re },
  to: { path: '^(compiler|grammar|runtime)/', pathNot: union(LAYERS.slice(0, i + 2)) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles, at any layer',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'runtime-executes-only',
      comment: 'the runtime loads and executes plans; it never imports the compiler or the grammar',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: '^(compiler|grammar)/' },
    },
    {
      name: 'compiler-writes-formats',
      comment:
        'below the drivers, the compiler imports the runtime only for its formats (plan, random streams) and types',
      severity: 'error',
      from: { path: '^(compiler|grammar)/', pathNot: '^(compiler/(drivers|cli)/|grammar/generate/)' },
      to: { path: '^runtime/', pathNot: '^runtime/(plan|random)/', dependencyTypesNot: ['type-only'] },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/|^runtime/browser/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
