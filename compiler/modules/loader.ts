// Finds, reads and parses a file and everything it imports, reporting missing files and
// import cycles at the `import` that causes them. The file system is behind `SourceHost`, so
// the same loader serves the CLI (Node) and, later, a browser page with files in memory.
import type { Program } from '../../grammar/ast.js';
import { parse } from '../../grammar/parse.js';
import { diag, MdlError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { SourceFile, Span } from '../source.js';

export interface SourceHost {
  /** The canonical path of `spec` imported from the file at `from` (`std/…` for the stdlib). */
  resolve(spec: string, from: string): string;
  /** The file's text, or undefined when it does not exist; an MdlError for one it refuses to read. */
  read(path: string): string | undefined;
  /** Names of the stdlib modules, for hints. */
  stdlibModules(): readonly string[];
}

export interface LoadedModule {
  readonly src: SourceFile;
  readonly program: Program;
  /** Canonical paths of the imports, in item order (undefined where the import failed). */
  readonly imports: readonly (string | undefined)[];
}

export interface LoadedProgram {
  readonly entry: string;
  /** In dependency order: every module after the modules it imports. */
  readonly modules: ReadonlyMap<string, LoadedModule>;
  readonly sources: ReadonlyMap<string, SourceFile>;
  readonly diagnostics: readonly Diagnostic[];
}

export function loadProgram(entry: SourceFile, host: SourceHost): LoadedProgram {
  const modules = new Map<string, LoadedModule>();
  const sources = new Map<string, SourceFile>([[entry.path, entry]]);
  const diagnostics: Diagnostic[] = [];
  const stack: string[] = [];
  const failed = new Set<string>();

  const visit = (src: SourceFile): boolean => {
    stack.push(src.path);
    const parsed = parse(src);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.program) {
      stack.pop();
      failed.add(src.path);
      return false;
    }
    const imports: (string | undefined)[] = [];
    for (const item of parsed.program.items) {
      if (item.kind !== 'import' && item.kind !== 'from') continue;
      imports.push(visitImport(item.path, item.pathSpan, src.path));
    }
    modules.set(src.path, { src, program: parsed.program, imports });
    stack.pop();
    return true;
  };

  const visitImport = (spec: string, span: Span, from: string): string | undefined => {
    const path = host.resolve(spec, from);
    if (stack.includes(path)) {
      const cycle = [...stack.slice(stack.indexOf(path)), path].join(' → ');
      diagnostics.push(
        diag('MDL5002', `import cycle: ${cycle}`, span, {
          hint: 'move the shared definitions into a third file that both import',
        }),
      );
      return undefined;
    }
    if (modules.has(path)) return path;
    if (failed.has(path)) return undefined;
    let text: string | undefined;
    try {
      text = host.read(path);
    } catch (e) {
      // A file the host refuses to read (one past the size budget) is reported at the import.
      if (!(e instanceof MdlError)) throw e;
      failed.add(path);
      diagnostics.push({ ...e.diagnostic, span });
      return undefined;
    }
    if (text === undefined) {
      failed.add(path);
      const std = host.stdlibModules();
      const near = spec.startsWith('std/')
        ? didYouMean(
            spec.replace(/\.mdl$/, ''),
            std.map((m) => `std/${m}`),
          )
        : undefined;
      const hint = spec.startsWith('std/')
        ? `${near ? `${near} ` : ''}the standard library has: ${std.map((m) => `std/${m}`).join(', ')}`
        : 'paths are relative to the importing file; `std/…` names the standard library';
      diagnostics.push(diag('MDL5001', `cannot find \`${spec}\` (looked for ${path})`, span, { hint }));
      return undefined;
    }
    const src: SourceFile = { path, text };
    sources.set(path, src);
    return visit(src) ? path : undefined;
  };

  visit(entry);
  return { entry: entry.path, modules, sources, diagnostics };
}
