// The lexer and parser are built without chevrotain's definition checks at run time (they cost
// start-up time on every command and worker); here they are built with them, so a token or
// grammar rule that breaks them (an unreachable pattern, an ambiguous alternative, left
// recursion) fails the tests instead of going unnoticed.
import { Lexer, createToken } from '../../grammar/chevrotain.js';
import { describe, expect, it } from 'vitest';
import { createLexer } from '../../grammar/lexer.js';
import { MdlParser } from '../../grammar/parser.js';

describe('grammar definition checks', () => {
  it('the token definitions pass the lexer validations', () => {
    const lexer = createLexer(true);
    expect(lexer.lexerDefinitionErrors).toEqual([]);
    expect(lexer.tokenize('model m(x: Tensor[B, 4]) { return x }').errors).toEqual([]);
  });

  it('the grammar passes the parser validations', () => {
    expect(() => new MdlParser(true)).not.toThrow();
  });

  it('the validations are live: an unreachable token is reported when asked for, not otherwise', () => {
    const A = createToken({ name: 'A', pattern: /a/ });
    const AB = createToken({ name: 'AB', pattern: /ab/ });
    const checked = new Lexer([A, AB], { positionTracking: 'onlyOffset', deferDefinitionErrorsHandling: true });
    expect(checked.lexerDefinitionErrors.length).toBeGreaterThan(0);
    const unchecked = new Lexer([A, AB], {
      positionTracking: 'onlyOffset',
      deferDefinitionErrorsHandling: true,
      skipValidations: true,
    });
    expect(unchecked.lexerDefinitionErrors).toEqual([]);
  });
});
