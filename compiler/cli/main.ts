#!/usr/bin/env node
// The `mdl` command: a thin layer over the library. Exit codes: 0 success, 1 errors in the
// user's model, 2 bad command-line usage. A user error never prints a stack trace.
import { readFileSync } from 'node:fs';
import { bindDims, summarize } from '../analysis/summary.js';
import { formatSummary } from '../analysis/format.js';
import { toDot } from '../analysis/dot.js';
import { checkFile, compileModel, type CompileResult } from '../compile.js';
import { renderAll } from '../diagnostics/render.js';
import { nodeHost } from '../modules/node-host.js';
import { OPS } from '../ops/registry.js';
import { signature } from '../elaborate/bind.js';
import type { SourceFile } from '../source.js';
import { parseArgs, UsageError, type CommandSpec } from './args.js';

const COMMANDS: Record<string, CommandSpec> = {
  check: { name: 'check', summary: 'parse and elaborate every model in the files; report errors', usage: 'mdl check FILE...', flags: {}, positional: [1, Infinity] },
  summary: {
    name: 'summary',
    summary: 'per-layer shapes, parameters, MACs, FLOPs and memory of a model',
    usage: 'mdl summary FILE [--model NAME] [--batch N] [--dim NAME=N] [--json]',
    flags: { model: 'string', batch: 'int', dim: 'kv', json: 'bool' },
    positional: [1, 1],
  },
  graph: {
    name: 'graph',
    summary: 'the model graph in Graphviz DOT',
    usage: 'mdl graph FILE [--model NAME] [--format dot]',
    flags: { model: 'string', format: 'string' },
    positional: [1, 1],
  },
  ops: { name: 'ops', summary: 'list the built-in ops and their signatures', usage: 'mdl ops', flags: {}, positional: [0, 0] },
};

function help(): string {
  const lines = ['mdl — a compiler for neural-network model descriptions', '', 'commands:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage.padEnd(64)} ${c.summary}`);
  return lines.join('\n');
}

class FileError extends Error {}

function readSource(path: string): SourceFile {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(`error MDL5003: cannot read ${path}${code === 'ENOENT' ? ': no such file' : code === 'EISDIR' ? ': it is a folder' : ''}`);
  }
}

function report(r: CompileResult): boolean {
  if (r.diagnostics.length > 0) process.stderr.write(renderAll(r.diagnostics, r.sources) + '\n');
  return !r.diagnostics.some((d) => d.severity === 'error');
}

function run(argv: readonly string[]): number {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(help() + '\n');
    return cmd ? 0 : 2;
  }
  const spec = COMMANDS[cmd];
  if (!spec) throw new UsageError(`unknown command \`${cmd}\``, `commands: ${Object.keys(COMMANDS).join(', ')}`);
  const args = parseArgs(spec, rest);
  switch (cmd) {
    case 'check': {
      let ok = true;
      for (const f of args.positional) {
        const r = checkFile(readSource(f), nodeHost);
        if (report(r)) process.stdout.write(`${f}: ok (${r.models.length} model${r.models.length === 1 ? '' : 's'})\n`);
        else ok = false;
      }
      return ok ? 0 : 1;
    }
    case 'summary': {
      const model = args.flags.get('model') as string | undefined;
      const r = compileModel(readSource(args.positional[0]!), nodeHost, model ? { model } : {});
      if (!report(r) || !r.graph) return 1;
      const s = summarize(r.graph, bindDims(r.graph, args.flags.get('batch') as number | undefined, (args.flags.get('dim') as Record<string, number>) ?? {}));
      process.stdout.write(args.flags.get('json') ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s) + '\n');
      return 0;
    }
    case 'graph': {
      const format = (args.flags.get('format') as string | undefined) ?? 'dot';
      if (format !== 'dot') throw new UsageError(`unknown graph format "${format}"`, 'supported: dot');
      const model = args.flags.get('model') as string | undefined;
      const r = compileModel(readSource(args.positional[0]!), nodeHost, model ? { model } : {});
      if (!report(r) || !r.graph) return 1;
      process.stdout.write(toDot(r.graph));
      return 0;
    }
    case 'ops': {
      for (const op of Object.values(OPS)) process.stdout.write(`${signature(op.name, op.args).padEnd(72)} ${op.doc}\n`);
      return 0;
    }
  }
  return 2;
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`error MDL7001: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
    process.exitCode = 2;
  } else if (e instanceof FileError) {
    process.stderr.write(e.message + '\n');
    process.exitCode = 1;
  } else {
    // A bug in mdl, not in the user's model: say so, with the details needed to report it.
    process.stderr.write(`error MDL9001: internal error in mdl — please report it\n${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  }
}
