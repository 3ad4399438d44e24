/**
 * The kernel mirror as the stages and the pipeline see it: a local git repository they only
 * read from (everything that writes happens in throwaway worktrees). One implementation runs
 * hardened git on a local repository (kernel/io/local-git-mirror.ts); tests may pass their own.
 */
export interface GitMirror {
  /** The repository's folder (a checkout, or a bare repository). */
  readonly path: string;
  /** Whether `rev` names a commit. */
  hasCommit(rev: string): Promise<boolean>;
  /** Full commit id of `rev`, or null when there is no such (or an ambiguous) commit. */
  resolve(rev: string): Promise<string | null>;
  /** A human name for a commit (`v6.1-debian-3-gabc1234`). */
  describe(rev: string): Promise<string>;
  /** The bytes of `file` at `rev` (any commit in the object store, also a worktree's), or null. */
  readFile(rev: string, file: string): Promise<Buffer | null>;
  /** Paths changed between two commits, in git's order. */
  changedFiles(from: string, to: string): Promise<string[]>;
  /** The commit the mirror's own checkout is at (null on an unborn branch). */
  head(): Promise<string | null>;
}
