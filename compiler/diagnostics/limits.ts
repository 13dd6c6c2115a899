// The budgets of the compiler: how much a program may make mdl do. Each is far above what a real
// model needs and far below what exhausts the stack, the memory or the user's patience; past
// one, the stage that meets it reports a located, coded diagnostic instead of crashing, hanging
// or computing a wrong number. One place, so the docs, the tests and the fuzzer agree.

export const LIMITS = {
  /** Bytes of one source file (`mdl check /dev/zero` must not read forever). */
  sourceBytes: 16 * 1024 * 1024,
  /**
   * Tokens of one source file. The parser's syntax tree takes about 2.5 KB a token before it is
   * turned into the much smaller AST, so a megabyte of `[0][0]…` needed gigabytes; the largest
   * model in examples/ with its stdlib is under 2,000 tokens.
   */
  tokens: 200_000,
  /** Brackets `( [ {` open at once in a source file (the parser is recursive). */
  brackets: 64,
  /** Operators that nest without brackets (`not not …`, `- - …`, `a ** b ** …`, `else if …`) in a row. */
  operatorChain: 256,
  /**
   * Syntax errors the parser collects in one file: past this it stops reading. Each error costs a
   * recovery (a resync and an expected-token analysis), so a mangled megabyte file would
   * otherwise take minutes to report hundreds of thousands of echoes of the same mistakes.
   */
  syntaxErrors: 1_000,
  /** Depth of the syntax tree (every later pass over it is recursive). */
  syntaxDepth: 256,
  /** Elements of one compile-time list, tuple or string (nested lists count every element). */
  valueSize: 1_000_000,
  /** Lists nested inside lists. */
  valueDepth: 256,
  /** Loop iterations unrolled while elaborating one model, section or candidate. */
  unrolled: 1_000_000,
  /** Statements executed while elaborating one model, section or candidate (loop bodies count each time; ~1 s). */
  statements: 5_000_000,
  /** List and tuple elements and string characters built while elaborating one model (every copy counts). */
  elements: 20_000_000,
  /** Statements that fail while elaborating one model: past this, it stops (a loop repeating one error). */
  failures: 1_000,
  /** Block calls expanded (or replayed) while elaborating one model, section or candidate. */
  expansions: 100_000,
  /** Layers (IR nodes) of one graph. */
  layers: 100_000,
  /** The largest integer mdl computes with exactly: 2^53 − 1. */
  maxInt: Number.MAX_SAFE_INTEGER,
} as const;

/** `1234567` → `1,234,567`, for the limits quoted in messages. */
export function formatLimit(n: number): string {
  return n.toLocaleString('en-US');
}
