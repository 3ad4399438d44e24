import { defineConfig } from "vitest/config";

// Two groups: "fast" (pure code, temp git repos, local servers) and "slow" (Linux mirror, kernel
// builds, QEMU guests). `npm test` runs both; CI runs both.
export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: { name: "fast", include: ["test/**/*.test.ts"], exclude: ["test/**/*.slow.test.ts"], testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: "slow",
          include: ["test/**/*.slow.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
