/**
 * esbuild choices shared by the bundle script (scripts/bundle.ts, what `npm run bench` measures) and the SST
 * stack (stacks/workers.ts, what is deployed), so the two cannot drift. Plain JavaScript: SST loads the
 * plugin list (`nodejs.plugins`) with Node, without a TypeScript loader.
 */
import { dirname, join } from "node:path";

/** Prefer packages' ES module builds: they tree-shake, the CommonJS ones (the default on node) do not. */
export const MAIN_FIELDS = ["module", "main"];

/**
 * zod's namespace export (`z`) drags in every error-message locale (~300 KB minified) although only
 * English is ever configured; this keeps `z.locales` to `en`, which is all the code uses.
 * @type {import("esbuild").Plugin}
 */
export const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes("/node_modules/zod/") ? { path: join(dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-locales" } : undefined);
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * pino requires its transport module (worker threads, thread-stream, atomic-sleep) at load even when no
 * transport is configured, and the handlers never configure one (adapters/logger.ts writes to stdout).
 * The stub keeps `pino.transport` failing loudly should anyone ask for one in a Lambda.
 * @type {import("esbuild").Plugin}
 */
export const pinoWithoutTransports = {
  name: "pino-without-transports",
  setup(b) {
    b.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) =>
      args.importer.includes("/node_modules/pino/") ? { path: "pino-transport", namespace: "pino-stub" } : undefined);
    b.onLoad({ filter: /.*/, namespace: "pino-stub" }, () => ({
      contents: 'module.exports = () => { throw new Error("pino transports are not bundled into the Lambda handlers"); };',
      loader: "js",
    }));
  },
};

export default [zodEnglishOnly, pinoWithoutTransports];
