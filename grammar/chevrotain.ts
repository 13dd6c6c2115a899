// Chevrotain, loaded from the single-file ES bundle it ships. The package's main entry is its
// unbundled sources, which import lodash-es function by function: about 600 modules, and a
// quarter of a second before any command (or scoring worker) can start. The bundle is the
// same code in one file (about 15 ms). Where it cannot be found (a bundler or test runner
// that resolves packages its own way), the main entry is used.
import type * as Chevrotain from 'chevrotain';

async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = import.meta.resolve('chevrotain');
    return (await import(new URL('../chevrotain.mjs', entry).href)) as typeof Chevrotain;
  } catch {
    return await import('chevrotain');
  }
}

const chevrotain = await load();
export const { createToken, createSyntaxDiagramsCode, CstParser, EOF, Lexer, MismatchedTokenException } = chevrotain;
