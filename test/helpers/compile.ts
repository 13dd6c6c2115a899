// Compile .mdl text or files in tests, failing loudly with rendered diagnostics.
import { readFileSync } from 'node:fs';
import { checkFile, compileModel, type CompileOptions, type CompileResult } from '../../compiler/compile.js';
import { renderAll } from '../../compiler/diagnostics/render.js';
import type { SourceHost } from '../../compiler/modules/loader.js';
import { nodeHost } from '../../compiler/modules/node-host.js';
import type { Graph } from '../../compiler/ir/types.js';

/** A host with in-memory files first, then the real file system and stdlib. */
export function memoryHost(files: Record<string, string>): SourceHost {
  return {
    resolve: nodeHost.resolve,
    read: (p) => files[p] ?? nodeHost.read(p),
    stdlibModules: nodeHost.stdlibModules,
  };
}

export function compileText(
  text: string,
  opts: CompileOptions = {},
  files: Record<string, string> = {},
): CompileResult {
  return compileModel({ path: 'test.mdl', text }, memoryHost(files), opts);
}

export function render(r: CompileResult): string {
  return renderAll(r.diagnostics, r.sources);
}

export function graphOf(text: string, opts: CompileOptions = {}, files: Record<string, string> = {}): Graph {
  const r = compileText(text, opts, files);
  if (!r.graph) throw new Error(`expected a clean compile, got:\n${render(r)}`);
  return r.graph;
}

export function compileFile(path: string, opts: CompileOptions = {}): CompileResult {
  return compileModel({ path, text: readFileSync(path, 'utf8') }, nodeHost, opts);
}

/** A file's graph, failing loudly with its diagnostics. */
export function graphOfFile(path: string, opts: CompileOptions = {}): Graph {
  const r = compileFile(path, opts);
  if (!r.graph) throw new Error(`expected ${path} to compile cleanly, got:\n${render(r)}`);
  return r.graph;
}

export function checkPath(path: string): CompileResult {
  return checkFile({ path, text: readFileSync(path, 'utf8') }, nodeHost);
}
