/// <reference lib="dom" />
import type { Incident } from "@ir/core";
import { ApiError, call } from "../api";
import { h, route } from "../dom";
import { count, when } from "../format";

const row = (i: Incident) =>
  h("tr", { "data-incident-id": i.incident_id },
    h("td", { class: "grow" }, h("a", { href: route("incidents", i.incident_id), title: i.error_message }, i.error_message)),
    h("td", { class: "nowrap" }, i.service),
    h("td", {}, h("span", { class: `sev sev-${i.severity.toLowerCase()}` }, i.severity)),
    h("td", {}, h("span", { class: `status status-${i.status.toLowerCase()}` }, i.status)),
    h("td", { class: "num" }, count(i.occurrences)),
    h("td", { class: "nowrap" }, when(i.created_at)),
  );

/** Incidents newest first, a page at a time. */
export async function incidentsView(params: URLSearchParams): Promise<HTMLElement> {
  const status = params.get("status") ?? "";
  const query = (cursor?: string) => {
    const q = new URLSearchParams({ limit: "50" });
    if (status) q.set("status", status);
    if (cursor) q.set("cursor", cursor);
    return `/api/v1/incidents?${q}`;
  };
  const first = await call<{ incidents: Incident[]; next_cursor: string | null }>(query());
  const body = h("tbody", {}, first.incidents.map(row));
  let cursor = first.next_cursor;
  const failed = h("p", { class: "error", role: "alert", hidden: true });
  const more = h("button", {
    type: "button",
    hidden: !cursor,
    onclick: async () => {
      failed.hidden = true;
      try {
        const page = await call<{ incidents: Incident[]; next_cursor: string | null }>(query(cursor ?? undefined));
        body.append(...page.incidents.map(row));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      } catch (e) {
        // A key no longer accepted: render again, which asks for one (call() forgot it).
        if (e instanceof ApiError && e.status === 401) { window.dispatchEvent(new HashChangeEvent("hashchange")); return; }
        failed.textContent = `Could not load more: ${(e as Error).message}`;
        failed.hidden = false;
      }
    },
  }, "Load more");
  return h("section", { class: "panel" },
    h("h2", {}, "Incidents"),
    h("p", { class: "filters" }, ["", "OPEN", "RESOLVED"].map((s) =>
      h("a", { href: s ? `#/incidents?status=${s}` : "#/incidents", class: s === status ? "active" : "" }, s ? s.toLowerCase() : "all"))),
    first.incidents.length
      ? h("table", { class: "incidents" },
        h("thead", {}, h("tr", {}, h("th", {}, "Incident"), h("th", {}, "Service"), h("th", {}, "Severity"), h("th", {}, "Status"), h("th", { class: "num" }, "Occurrences"), h("th", {}, "Opened"))),
        body)
      : h("p", { class: "muted" }, "No incidents."),
    more,
    failed,
  );
}
