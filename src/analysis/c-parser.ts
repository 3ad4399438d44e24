import Parser from "tree-sitter";
import C from "tree-sitter-c";

export type CParser = Parser;
export type CNode = Parser.SyntaxNode;
export type CTree = Parser.Tree;

/** A tree-sitter parser for C. One per thread: parsers are not shareable across workers. */
export function createCParser(): CParser {
  const p = new Parser();
  p.setLanguage(C as unknown as Parser.Language);
  return p;
}

/** Parse a whole file; the default 32 KiB input buffer is too small for many kernel files. */
export function parseC(parser: CParser, text: string): CTree {
  return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1024) });
}
