import { Lexer, Source, type Token, TokenKind } from 'graphql';

const OPEN = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSE = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Whether a GraphQL document nests `{…}`, `[…]` and `(…)` deeper than `max`. graphql-js parses
 * recursively: an inline value nested a couple of thousand levels deep (`mixins: {a: {a: …}}`),
 * well within the token limit, overflows the stack, which Apollo reports as a parse failure
 * saying "Maximum call stack size exceeded". Lexing is iterative, so this answers first, and
 * clearly. It stops at `maxTokens` (the parser refuses longer documents itself) and leaves
 * lexical errors to the parser, which names them better.
 */
export function documentTooDeep(query: string, max: number, maxTokens: number): boolean {
  if (openers(query, max) <= max) return false;
  const lexer = new Lexer(new Source(query));
  let depth = 0;
  try {
    let token: Token = lexer.advance();
    for (let n = 0; token.kind !== TokenKind.EOF && n < maxTokens; n++, token = lexer.advance()) {
      if (OPEN.has(token.kind)) {
        depth += 1;
        if (depth > max) return true;
      } else if (CLOSE.has(token.kind)) {
        depth -= 1;
      }
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * `{`, `[` and `(` characters anywhere (strings and comments too), counting no further than one
 * past `max`: fewer than that cannot nest deeper, which spares everyday documents the lexing.
 */
function openers(query: string, max: number): number {
  let n = 0;
  for (let i = 0; i < query.length && n <= max; i++) {
    const c = query.charCodeAt(i);
    if (c === 0x7b || c === 0x5b || c === 0x28) n += 1;
  }
  return n;
}
