import { existsSync, readFileSync } from "node:fs";

const PAGE = new URL("../../dashboard/dist/index.html", import.meta.url);

/** The dashboard is a static page built by packages/dashboard; served as one self-contained file. */
export const dashboardHtml = () =>
  existsSync(PAGE) ? readFileSync(PAGE, "utf8") : "<!doctype html><title>Incident Responder</title><p>Dashboard not built.</p>";
