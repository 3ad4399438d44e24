/** fixtures/mail/bad: each hostile-patch mail and the safety problem kind it must be refused for. */
export const BAD_PATCH_FIXTURES: Readonly<Record<string, string>> = {
  "05-absolute-path.eml": "absolute-path",
  "06-dotdot-path.eml": "dot-dot",
  "07-dotgit-path.eml": "git-dir",
  "08-symlink-mode.eml": "symlink",
  "09-submodule-mode.eml": "submodule",
  "10-binary-patch.eml": "binary",
};
