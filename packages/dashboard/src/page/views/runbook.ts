/// <reference lib="dom" />
import type { Runbook } from "@ir/core";
import { call } from "../api";
import { h } from "../dom";
import { when } from "../format";

/** A runbook as written: its markdown shown as text, which is how on-call reads it in a terminal too. */
export async function runbookView(id: string): Promise<HTMLElement> {
  const r = await call<Runbook>(`/api/v1/runbooks/${encodeURIComponent(id)}`);
  return h("section", { class: "panel runbook", "data-runbook-id": r.runbook_id },
    h("p", {}, h("a", { href: "#/" }, "← Overview")),
    h("h2", {}, r.title),
    h("p", { class: "muted" }, r.tags.length ? `${r.tags.join(", ")} · ` : "", `updated ${when(r.updated_at)} · resolved ${r.success_count} incidents`),
    h("pre", { class: "markdown" }, r.content),
  );
}
