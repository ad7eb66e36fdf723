import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** What `build.ts` writes: the whole dashboard in one file, scripts and styles inlined. */
export const DASHBOARD_FILE = new URL("../dist/index.html", import.meta.url);

const NOT_BUILT = "<!doctype html><title>Incident Responder</title><p>Dashboard not built: run <code>npm run build -w @ir/dashboard</code>.</p>";

/** Where a deployment put the built page instead (the AWS runtime ships it beside the Lambda handler). */
const file = () => (process.env.IR_DASHBOARD_FILE ? resolve(process.env.IR_DASHBOARD_FILE) : DASHBOARD_FILE);

/** The page served at /dashboard (read per request, so a rebuild shows without a restart). */
export const dashboardHtml = (): string => (existsSync(file()) ? readFileSync(file(), "utf8") : NOT_BUILT);
