/**
 * Builds the dashboard into ONE self-contained file, dist/index.html: the page's script (with uPlot) and
 * styles (with uPlot's) inlined, no CDN, nothing else to serve. Both runtimes serve that file at /dashboard.
 * The Content-Security-Policy allows exactly the inlined script and style, by hash.
 *
 *   node --import tsx packages/dashboard/build.ts      (also the repository's `prepare` script)
 *
 * Same sources, same bytes: esbuild's output is deterministic and nothing here depends on time or paths.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const page = join(root, "src", "page");
const started = performance.now();
const uplot = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve("uplot/package.json")), "utf8")) as { version: string };

const [js, css] = await Promise.all([
  build({
    entryPoints: [join(page, "main.ts")],
    bundle: true, format: "iife", platform: "browser", target: "es2020", minify: true, write: false, legalComments: "eof",
    define: { "process.env.NODE_ENV": '"production"' },
    // uPlot's notice is a plain comment, which minifying drops; its MIT license asks that it stay.
    banner: { js: `/*! uPlot v${uplot.version} (c) Leon Sorokin, MIT License, https://github.com/leeoniya/uPlot */` },
  }),
  build({
    stdin: { contents: '@import "uplot/dist/uPlot.min.css";\n@import "./style.css";\n', resolveDir: page, loader: "css", sourcefile: "dashboard.css" },
    bundle: true, minify: true, write: false, legalComments: "none",
  }),
]);

// Inline, a closing tag inside a string would end the element early.
const script = js.outputFiles[0].text.replace(/<\/script/gi, "<\\/script").trimEnd();
const style = css.outputFiles[0].text.replace(/<\/style/gi, "<\\/style").trimEnd();
const hash = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

const values: Record<string, string> = { SCRIPT: script, STYLE: style, SCRIPT_HASH: hash(script), STYLE_HASH: hash(style) };
// A function replacer: the minified script is full of `$&`-like sequences a replacement string would expand.
const html = readFileSync(join(page, "index.html"), "utf8").replace(/%(SCRIPT_HASH|STYLE_HASH|SCRIPT|STYLE)%/g, (_, k: string) => values[k]);

mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(join(root, "dist", "index.html"), html);
console.log(`dashboard: dist/index.html ${(Buffer.byteLength(html) / 1024).toFixed(1)} KB in ${Math.round(performance.now() - started)} ms`);
