import { defineConfig } from "vitest/config";

/**
 * Three projects: `unit` (npm test: domain, adapters, the embedded runtime through real HTTP, the AWS
 * handlers against in-process emulators), `e2e` (needs Debian packages: Alertmanager, Chromium) and
 * `aws` (the AWS suite alone, also part of unit).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "test/api/**/*.test.ts"],
          exclude: ["**/node_modules/**", "packages/runtime-aws/**"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "aws",
          include: ["packages/runtime-aws/test/**/*.test.ts", "test/infra/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
