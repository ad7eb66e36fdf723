import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);

/**
 * `sst install` fetches SST's platform (components, @pulumi/aws) into .sst/platform with bun; bun comes from npm
 * (the `bun` devDependency), so nothing outside the npm registry is needed and no AWS account is touched.
 * A stage must be named: without a terminal SST would otherwise ask for a personal stage name.
 */
const install = () =>
  spawnSync(bin("sst"), ["install", "--stage", "typecheck"], {
    cwd: root,
    encoding: "utf8",
    timeout: 540_000,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      SST_BUN_PATH: join(root, "node_modules", "bun", "bin", "bun.exe"),
      SST_SKIP_DEPENDENCY_CHECK: "1",
      SST_TELEMETRY_DISABLED: "1",
    },
  });

describe("infrastructure typecheck", () => {
  it("sst.config.ts and stacks/ compile against SST 4.17.1's component types", () => {
    // prepare
    if (!existsSync(join(root, ".sst", "platform", "config.d.ts"))) {
      const r = install();
      expect(r.status, `sst install failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
    expect(existsSync(join(root, ".sst", "platform", "config.d.ts"))).toBe(true);

    // act
    const tsc = spawnSync(bin("tsc"), ["--noEmit", "-p", "stacks/tsconfig.json"], {
      cwd: root,
      encoding: "utf8",
      timeout: 240_000,
    });

    // assess
    expect(tsc.status, `tsc reported:\n${tsc.stdout}\n${tsc.stderr}`).toBe(0);
  }, 600_000);
});
