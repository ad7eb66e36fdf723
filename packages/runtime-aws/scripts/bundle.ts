/**
 * Bundles each Lambda handler to dist/<name>/index.mjs (ESM, node22, minified) and prints each bundle's
 * size and its cold import time (`node` importing the bundle in a fresh process, as Lambda's init does),
 * then the same with the chunks its first invocation loads ("first call").
 *
 *   node --import tsx packages/runtime-aws/scripts/bundle.ts [handler...] [--external-aws-sdk] [--analyze]
 *
 * `--analyze` prints what each bundle is made of and writes dist/<name>.meta.json (esbuild's metafile).
 * The AWS SDK v3 clients are bundled by default: the runtime's copy changes under us (version drift,
 * occasional breaking defaults), a bundled one is what was tested, and esbuild keeps only what is used.
 * `--external-aws-sdk` leaves `@aws-sdk/*` to the Lambda runtime for a smaller zip.
 * Pinecone, OpenAI and each AWS service (src/sdk/*, see LazyClient) are imported lazily, so code splitting
 * puts them in chunks loaded on first use: `index.mjs` is what every cold start parses, the chunks only
 * what a stage actually calls (the "first call" column times the ones its first invocation needs).
 * Sources import zod as a namespace (`import * as z from "zod"`): esbuild can shake that, while
 * `import { z }` binds a re-exported object and pulled all of zod (188 KB) into every handler.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { analyzeMetafile, build, type Metafile } from "esbuild";
import { STAGE_NAMES } from "@ir/core";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, "dist");
const externalSdk = process.argv.includes("--external-aws-sdk");
const analyze = process.argv.includes("--analyze");
const ALL_HANDLERS = [...STAGE_NAMES, "http", "retention"];
// `bundle.ts ingest http` builds just those (quicker while measuring one handler).
const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const HANDLERS = named.length ? ALL_HANDLERS.filter((h) => named.includes(h)) : ALL_HANDLERS;

/** Some dependencies are CommonJS that `require()` node built-ins; an ESM bundle needs a real `require` for them. */
const BANNER = 'import { createRequire as __irCreateRequire } from "node:module"; const require = __irCreateRequire(import.meta.url);';

/** Enough configuration for a handler module to initialise (no network is touched at import). */
const DUMMY_ENV: Record<string, string> = {
  AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x", LOG_LEVEL: "silent",
  IR_BUS_NAME: "bus", IR_BUCKET: "bucket", IR_TABLE: "table", IR_INGEST_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/ingest",
  ...Object.fromEntries(STAGE_NAMES.map((s) => [`IR_DLQ_URL_${s.toUpperCase()}`, `https://sqs.eu-west-1.amazonaws.com/1/${s}-dlq`])),
  IR_PINECONE_INDEX_HOST: "https://idx.svc.pinecone.io", PINECONE_API_KEY: "x", OPENAI_API_KEY: "x",
  IR_ADMIN_KEY: "0123456789abcdef0123", IR_PUBLIC_URL: "https://ir.example.com",
};

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const filesUnder = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));

/** Median of three fresh `node` processes importing `file`, then (awaited in turn) each of `then`. */
const coldImportMs = (file: string, then: string[] = []): number => {
  const urls = [file, ...then].map((f) => pathToFileURL(f).href);
  const script = `const t = performance.now(); for (const u of ${JSON.stringify(urls)}) await import(u); process.stdout.write(String(performance.now() - t));`;
  const runs = [0, 1, 2].map(() => Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, ...DUMMY_ENV }, encoding: "utf8" })));
  return runs.sort((a, b) => a - b)[1];
};

/**
 * What a handler's first invocation imports on its common path besides index.mjs: the chunks of the
 * clients it creates on first use (the SDK's credential chain reads the environment on the first call).
 * Timing index.mjs with them keeps the cold import figure honest about work merely moved to the first batch.
 * The AWS services (src/sdk/*, see LazyClient) are the ones each handler calls while processing one alarm:
 * every stage reads DynamoDB and publishes its outputs to EventBridge, the stages that read or write an
 * incident also use S3; the API's first call is taken to be an alarm report (auth, usage and publish);
 * the retention worker sweeps the DLQs (SQS) before it purges (DynamoDB, S3).
 */
const SDK = { dynamodb: "src/sdk/dynamodb.ts", eventbridge: "src/sdk/eventbridge.ts", s3: "src/sdk/s3.ts", sqs: "src/sdk/sqs.ts" };
const STAGE = [SDK.dynamodb, SDK.eventbridge];
const FIRST_CALL: Record<string, string[]> = {
  ingest: STAGE,
  embed: [...STAGE, "openai"],
  match: [...STAGE, SDK.s3, "@pinecone-database/pinecone"],
  enrich: [...STAGE, SDK.s3, "@pinecone-database/pinecone", "openai"],
  notify: [...STAGE, SDK.s3],
  http: STAGE,
  retention: [SDK.sqs, SDK.dynamodb, SDK.s3],
};
const firstCallModules = (name: string) => [...(externalSdk ? [] : ["@aws-sdk/credential-provider-env"]), ...(FIRST_CALL[name] ?? [])];

/** The files a cold start reads (index.mjs and the chunks it imports statically), and the lazy chunk of each module. */
const chunksOf = (meta: Metafile, index: string) => {
  const outputs = Object.entries(meta.outputs).map(([path, o]) => ({ path: join(process.cwd(), path), ...o }));
  const byPath = new Map(outputs.map((o) => [o.path, o]));
  const atImport = new Set<string>();
  const visit = (path: string) => {
    if (atImport.has(path)) return;
    atImport.add(path);
    for (const i of byPath.get(path)?.imports ?? []) if (i.kind === "import-statement" && byPath.has(join(process.cwd(), i.path))) visit(join(process.cwd(), i.path));
  };
  visit(index);
  // `module` is a package name or one of this package's own files (src/...).
  const lazyChunk = (module: string) => {
    // esbuild names entry points relative to the directory it runs in: compare resolved paths, as for outputs.
    const own = module.startsWith("src/") ? join(root, module) : null;
    const hit = outputs.find((o) => o.entryPoint && (own ? join(process.cwd(), o.entryPoint) === own : o.entryPoint.includes(`node_modules/${module}/`)));
    if (!hit) throw new Error(`${module} is not a lazily loaded chunk of ${index}`);
    return hit.path;
  };
  return { atImportBytes: [...atImport].reduce((n, p) => n + byPath.get(p)!.bytes, 0), lazyChunk };
};

const rows: string[][] = [["handler", "index.mjs", "gzip", "at import", "with chunks", "cold import", "first call"]];
for (const name of HANDLERS) {
  const outdir = join(dist, name);
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: join(root, "src", "handlers", `${name}.ts`) },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    minify: true,
    treeShaking: true,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: BANNER },
    legalComments: "none",
    // Read at deploy time by scripts/seed-global-runbooks.ts, never by a handler.
    external: externalSdk ? ["@aws-sdk/*", "@smithy/*"] : [],
    // What SST's builder does for the deployed functions (stacks/workers.ts): ES module builds first, no plugins
    // (SST's plugin bridge cannot run plugins that use namespaces), so these figures are the deployed code's.
    mainFields: ["module", "main"],
    logLevel: "error",
    metafile: true,
  });
  if (analyze) {
    writeFileSync(join(dist, `${name}.meta.json`), JSON.stringify(result.metafile));
    process.stderr.write(await analyzeMetafile(result.metafile));
  }
  // The dashboard ships beside the HTTP handler, as the SST stack does it (IR_DASHBOARD_FILE).
  if (name === "http") copyFileSync(join(root, "..", "dashboard", "dist", "index.html"), join(outdir, "dashboard.html"));
  const index = join(outdir, "index.mjs");
  const size = statSync(index).size;
  const total = filesUnder(outdir).reduce((n, f) => n + statSync(f).size, 0);
  const { atImportBytes, lazyChunk } = chunksOf(result.metafile, index);
  rows.push([name, kb(size), kb(gzipSync(readFileSync(index)).length), kb(atImportBytes), kb(total),
    `${coldImportMs(index).toFixed(0)} ms`, `${coldImportMs(index, firstCallModules(name).map(lazyChunk)).toFixed(0)} ms`]);
  process.stderr.write(`bundled ${relative(process.cwd(), index)}\n`);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  "));
