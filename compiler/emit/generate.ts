// The typed module of a compiled model (`model.ts`), built with ts-morph and formatted with
// prettier, and its JavaScript (`model.js`, transpiled with the TypeScript compiler that
// ts-morph ships) so that `node model.js` runs without a build step. The module exports the
// model's constants (input, classes, batch, parameter table, training settings), `load()`
// binding the runtime's CompiledModel to the plan beside it, and `main()`, which trains it
// with `mdl train`'s trainer when the file is run as a program.
//
// The generated code imports the runtime by package name (`mdl-nn/runtime`), never by a path of
// the machine that compiled it; write.ts makes that name resolve from the output folder.
import { escapeControls } from '../diagnostics/render.js';
import type { ModelInfo } from '../../runtime/plan/bundle.js';
import type { TrainSettings } from '../../runtime/standalone.js';
import { PACKAGE_NAME } from './package-name.js';

export interface ModuleInput {
  readonly info: ModelInfo;
  readonly settings: TrainSettings;
  readonly source: { readonly path: string; readonly hash: string };
  /** The train section it came from, if any. */
  readonly section?: string;
  /** mdl's version, for the header. */
  readonly version: string;
}

export interface GeneratedModule {
  readonly ts: string;
  readonly js: string;
}

const lit = (v: unknown): string => JSON.stringify(v);

export async function generateModule(m: ModuleInput): Promise<GeneratedModule> {
  // Loaded here only: an installation without ts-morph runs every other command (and the CLI
  // names the package when it is missing: runtime/missing-package.ts).
  const { Project, VariableDeclarationKind, ts } = await import('ts-morph');
  const prettier = await import('prettier');
  const { info, settings } = m;
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, strict: true },
  });
  const f = project.createSourceFile('model.ts', '');

  f.addImportDeclarations([
    { moduleSpecifier: 'node:fs', namedImports: ['realpathSync'] },
    { moduleSpecifier: 'node:url', namedImports: ['fileURLToPath'] },
    {
      moduleSpecifier: `${PACKAGE_NAME}/runtime`,
      namedImports: [
        'CompiledModel',
        'trainMain',
        { name: 'LoadOptions', isTypeOnly: true },
        { name: 'TrainSettings', isTypeOnly: true },
      ],
    },
  ]);
  const constant = (name: string, init: string, doc: string, type?: string) =>
    f.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [doc],
      declarations: [{ name, initializer: init, ...(type ? { type } : {}) }],
    });

  constant('MODEL', lit(info.model), "The model's name.");
  constant(
    'SOURCE',
    `${lit(m.source)} as const`,
    'The .mdl file it was compiled from, and a hash of it and its imports (a checkpoint resumes only its own model).',
  );
  constant(
    'BATCH',
    String(info.batch),
    'The batch size both plans are compiled for: every training step takes exactly this many samples.',
  );
  constant(
    'INPUT',
    `${lit({ name: info.input, shape: info.sampleShape })} as const`,
    "The image input: its name and one sample's shape [C, H, W]. The training step also takes `labels` (class indices) and `lr`.",
  );
  constant('CLASSES', String(info.classes), 'The number of classes: `forward` returns logits [samples, CLASSES].');
  const table = Object.fromEntries(info.params.map((p) => [p.name, { shape: p.shape, kind: p.kind }]));
  constant(
    'PARAMETERS',
    `${lit(table)} as const`,
    'Every tensor of the training state, by name: trained parameters (`param`), model buffers such as running statistics (`buffer`) and optimizer state (`state`).',
  );
  f.addTypeAlias({
    isExported: true,
    name: 'ParameterName',
    type: 'keyof typeof PARAMETERS',
    docs: ['The name of a tensor of the training state.'],
  });
  constant(
    'TRAIN',
    `${lit(settings)} as const satisfies TrainSettings`,
    `How \`main()\` trains: the ${m.section ? `train section \`${m.section}\`` : 'defaults of `mdl train` (the file has no train section)'}: data, epochs, learning rate and seed can be changed from the command line, the batch, optimizer and schedule are compiled in.`,
  );
  f.addFunction({
    isExported: true,
    name: 'load',
    parameters: [{ name: 'opts', type: 'LoadOptions', initializer: '{}' }],
    returnType: 'Promise<CompiledModel<ParameterName>>',
    docs: [
      'The compiled model on a WebGPU device: `plan.json` and `kernels/` from the folder of this file, parameters initialised from `opts.seed` or loaded from `opts.weights`.',
    ],
    statements: 'return CompiledModel.load<ParameterName>(new URL(".", import.meta.url), opts);',
  });
  f.addFunction({
    isExported: true,
    name: 'main',
    parameters: [{ name: 'argv', type: 'readonly string[]', initializer: 'process.argv.slice(2)' }],
    returnType: 'Promise<number>',
    docs: [
      'Trains the model as `mdl train` would (flags: --epochs, --limit, --data, --lr, --seed, --out, --resume, --log-every); resolves to the exit code.',
    ],
    statements: 'return trainMain({ model: MODEL, source: SOURCE, settings: TRAIN, load }, argv);',
  });
  f.addStatements([
    '// Run as a program (`node model.js`), not when imported.',
    'if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {',
    '  main().then((code) => { process.exitCode = code; });',
    '}',
  ]);
  const header = [
    '// Generated by `mdl compile` (mdl ' +
      m.version +
      ') from ' +
      // A file name may hold a newline (or U+2028), which would end the comment and make the
      // rest of the name code: it is written escaped.
      escapeControls(m.source.path) +
      (m.section ? `, train section \`${m.section}\`` : '') +
      ': do not edit, compile again.',
    `// ${info.model} for batches of ${info.batch}; \`node model.js --help\` trains it, \`import { load } from './model.js'\` runs it.`,
    '',
  ].join('\n');
  const text = header + f.getFullText();
  const options = { printWidth: 120, singleQuote: true };
  const tsText = await prettier.format(text, { ...options, parser: 'typescript' });
  const js = ts.transpileModule(tsText, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const jsText = await prettier.format(js, { ...options, parser: 'babel' });
  return { ts: tsText, js: jsText };
}
