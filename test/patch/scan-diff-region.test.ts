import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffFiles, splitDiffRegion } from "../../src/patch/extract-patch.js";
import { scanDiffFiles, scanDiffRegion } from "../../src/patch/scan-diff-region.js";

/**
 * Large patch texts are walked by offsets instead of being split into lines (memory: issue 12);
 * the walk must decide exactly as the line-array code does, on every text.
 */
const fixtureDirs = ["../../fixtures/mail/series/", "../../fixtures/mail/bad/"].map((d) => new URL(d, import.meta.url));
const bodies = fixtureDirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => {
      const raw = readFileSync(new URL(f, d), "latin1").replace(/\r\n/g, "\n");
      return raw.slice(raw.indexOf("\n\n") + 2);
    }),
);

const pieces = [
  "diff --git a/x.c b/x.c\n", "index 1111111..2222222 100644\n", "--- a/x.c\n", "+++ b/x.c\n", "@@ -1,3 +1,4 @@\n", "@@ -1 +1 @@ f()\n",
  " ctx\n", "-old\n", "+new\n", "\\ No newline at end of file\n", "\n", "\n\n", "---\n", "-- \n2.39.0\n", "Signed-off-by: A <a@b>\n",
  "text line\n", "GIT binary patch\n", "literal 12\nzcmZ?wbh\n", "new file mode 100644\n", "rename from a.c\nrename to b.c\n",
  "Index: y.c\n", "===================================================================\n", "--- y.c\t2020-01-01\n", "+++ y.c\t2020-01-02\n", "base-commit: abc\n",
];

describe("scanDiffRegion decides as the line-array walk does", () => {
  it("on the fixture mails", () => {
    for (const b of bodies) expect(scanDiffRegion(b), b.slice(0, 60)).toEqual(splitDiffRegion(b));
  });

  it("on random texts made of diff pieces", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), fc.boolean(), (parts, cut) => {
        let t = parts.join("");
        if (cut && t.length) t = t.slice(0, -1);
        expect(scanDiffRegion(t)).toEqual(splitDiffRegion(t));
      }),
      { numRuns: 3000, seed: 12 },
    );
  });

  it("scanDiffFiles names the files, new/deleted flags and hunks diffFiles does", () => {
    for (const b of bodies) {
      const r = splitDiffRegion(b);
      if (!r) continue;
      const diff = b.slice(r.start, r.end - 1) + "\n";
      const strip = (fs: ReturnType<typeof diffFiles>) => fs.map((f) => ({ path: f.path, newFile: f.newFile, deletedFile: f.deletedFile, hunks: f.hunks.length }));
      expect(strip(scanDiffFiles(b, r)), b.slice(0, 60)).toEqual(strip(diffFiles(diff)));
    }
  });
});
