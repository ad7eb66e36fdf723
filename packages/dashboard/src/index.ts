import { existsSync, readFileSync } from "node:fs";

/** What `build.ts` writes: the whole dashboard in one file, scripts and styles inlined. */
export const DASHBOARD_FILE = new URL("../dist/index.html", import.meta.url);

const NOT_BUILT = "<!doctype html><title>Incident Responder</title><p>Dashboard not built: run <code>npm run build -w @ir/dashboard</code>.</p>";

/** The page served at /dashboard (read per request, so a rebuild shows without a restart). */
export const dashboardHtml = (): string => (existsSync(DASHBOARD_FILE) ? readFileSync(DASHBOARD_FILE, "utf8") : NOT_BUILT);
