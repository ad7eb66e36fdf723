/// <reference lib="dom" />
import type { Analytics } from "@ir/api";
import type { RunbookSuggestion } from "@ir/match";
import { call } from "../api";
import { timeChart } from "../charts";
import { h, route } from "../dom";
import { count, duration, hours, when } from "../format";

const WINDOWS = [7, 14, 30, 90];
const COLORS = { opened: "#2563eb", resolved: "#16a34a", duplicates: "#9333ea", mean: "#ea580c", median: "#0891b2", regressions: "#dc2626" };

const stat = (name: string, label: string, value: number | null, shown: string, hint?: string) =>
  h("div", { class: "stat", "data-stat": name, "data-value": value ?? "" }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value" }, shown), hint ? h("div", { class: "stat-hint" }, hint) : null);

const dayBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/** The analytics of a window: figures, trends, top incidents, runbook effectiveness, and drafts to accept. */
export async function overview(params: URLSearchParams): Promise<HTMLElement> {
  // Only the windows the form offers: another value showed one window and fetched another (or failed past a year).
  const days = WINDOWS.includes(Number(params.get("days"))) ? Number(params.get("days")) : 30;
  const service = params.get("service") ?? "";
  const to = new Date().toISOString().slice(0, 10);
  const q = new URLSearchParams({ from: dayBefore(to, days - 1), to });
  if (service) q.set("service", service);
  const [a, s] = await Promise.all([
    call<Analytics>(`/api/v1/analytics?${q}`),
    call<{ suggestions: RunbookSuggestion[] }>("/api/v1/runbooks/suggestions"),
  ]);

  const daily = a.trend.daily;
  const weekly = a.trend.weekly;
  const filters = h("form", {
    class: "filters",
    onsubmit: (e: Event) => {
      e.preventDefault();
      const f = new FormData(e.target as HTMLFormElement);
      const next = new URLSearchParams({ days: String(f.get("days")) });
      if (String(f.get("service") ?? "").trim()) next.set("service", String(f.get("service")).trim());
      location.hash = `#/?${next}`;
    },
  },
    h("label", {}, "Window ", h("select", { name: "days" }, WINDOWS.map((d) => h("option", { value: d, selected: d === days }, `last ${d} days`)))),
    h("label", {}, "Service ", h("input", { name: "service", value: service, placeholder: "all services" })),
    h("button", { type: "submit" }, "Apply"),
    h("span", { class: "muted" }, `${a.from} – ${a.to} (UTC)`),
  );

  return h("section", { class: "overview" },
    filters,
    h("div", { class: "stats" },
      stat("incidents_opened", "Incidents opened", a.incidents.opened, count(a.incidents.opened)),
      stat("alarms", "Alarms received", a.alarms, count(a.alarms)),
      stat("duplicates_prevented", "Duplicates prevented", a.duplicates_prevented, count(a.duplicates_prevented)),
      stat("regressions", "Regressions", a.incidents.regressions, count(a.incidents.regressions)),
      stat("resolved", "Resolved", a.incidents.resolved, count(a.incidents.resolved)),
      stat("mttr_mean", "MTTR (mean)", a.mttr_seconds.mean, duration(a.mttr_seconds.mean)),
      stat("mttr_median", "MTTR (median)", a.mttr_seconds.median, duration(a.mttr_seconds.median)),
      stat("time_saved_minutes", "Time saved (est.)", a.time_saved_minutes, hours(a.time_saved_minutes), "see assumptions below"),
    ),
    h("div", { class: "charts" },
      timeChart("Incidents per day", daily.map((d) => d.day), [
        { label: "opened", values: daily.map((d) => d.opened), color: COLORS.opened, bars: true },
        { label: "regressions", values: daily.map((d) => d.regressions), color: COLORS.regressions },
        { label: "resolved", values: daily.map((d) => d.resolved), color: COLORS.resolved },
      ], "count", "incidents"),
      timeChart("Duplicates prevented per day", daily.map((d) => d.day), [
        { label: "duplicates", values: daily.map((d) => d.duplicates), color: COLORS.duplicates, bars: true },
      ], "count", "duplicates"),
      timeChart("MTTR per day", daily.map((d) => d.day), [
        { label: "mean", values: daily.map((d) => d.mttr_mean_seconds), color: COLORS.mean },
        { label: "median", values: daily.map((d) => d.mttr_median_seconds), color: COLORS.median },
      ], "duration", "mttr-daily"),
      timeChart("MTTR per week (weeks start Monday)", weekly.map((w) => w.week), [
        { label: "mean", values: weekly.map((w) => w.mttr_mean_seconds), color: COLORS.mean },
        { label: "median", values: weekly.map((w) => w.mttr_median_seconds), color: COLORS.median },
      ], "duration", "mttr-weekly"),
    ),
    h("div", { class: "tables" },
      h("section", { class: "panel wide" },
        h("h2", {}, "Top incidents"),
        a.top_incidents.length
          ? h("table", { class: "top-incidents" },
            h("thead", {}, h("tr", {}, h("th", {}, "Incident"), h("th", {}, "Service"), h("th", {}, "Severity"), h("th", {}, "Status"), h("th", { class: "num" }, "Occurrences"), h("th", {}, "Last seen"))),
            h("tbody", {}, a.top_incidents.map((i) =>
              h("tr", { "data-incident-id": i.incident_id },
                h("td", { class: "grow" }, h("a", { href: route("incidents", i.incident_id), title: i.error_message }, i.error_message)),
                h("td", { class: "nowrap" }, i.service),
                h("td", { class: "nowrap" }, h("span", { class: `sev sev-${i.severity.toLowerCase()}` }, i.severity), i.regression_of ? h("span", { class: "tag regression", title: `regression of ${i.regression_of}` }, "regression") : null),
                h("td", {}, h("span", { class: `status status-${i.status.toLowerCase()}` }, i.status)),
                h("td", { class: "num", "data-occurrences": i.occurrences }, count(i.occurrences)),
                h("td", { class: "nowrap" }, when(i.last_seen)),
              ))))
          : h("p", { class: "muted" }, "No incidents in this window."),
      ),
      h("section", { class: "panel" },
        h("h2", {}, "Runbook effectiveness"),
        a.runbook_effectiveness.length
          ? h("table", { class: "runbooks" },
            h("thead", {}, h("tr", {}, h("th", {}, "Runbook"),
              h("th", { class: "num", title: "incidents opened with it ranked first" }, "Recommended"),
              h("th", { class: "num", title: "resolutions crediting it" }, "Used"),
              h("th", { class: "num", title: "credited fixes that did not come back" }, "Held"),
              h("th", { class: "num", title: "credited fixes that came back as a regression" }, "Regressed"))),
            h("tbody", {}, a.runbook_effectiveness.map((r) =>
              h("tr", { "data-runbook-id": r.runbook_id },
                h("td", { class: "grow" }, h("a", { href: route("runbooks", r.runbook_id), title: r.title }, r.title)),
                h("td", { class: "num" }, count(r.recommended)),
                h("td", { class: "num" }, count(r.used)),
                h("td", { class: "num" }, count(r.resolved)),
                h("td", { class: "num" }, count(r.regressed)),
              ))))
          : h("p", { class: "muted" }, "No runbook was recommended or used in this window."),
      ),
      suggestions(s.suggestions),
    ),
    h("details", { class: "assumptions" },
      h("summary", {}, "How these figures are computed"),
      h("ul", {},
        h("li", {}, `A prevented duplicate saves ${a.assumptions.minutes_per_duplicate_triage} minutes of triage; an incident opened with a matching runbook saves ${a.assumptions.minutes_saved_per_matched_runbook} minutes.`),
        a.assumptions.notes.map((n) => h("li", {}, n)),
      ),
    ),
  );
}

function suggestions(list: RunbookSuggestion[]): HTMLElement {
  const panel = h("section", { class: "panel suggestions" }, h("h2", {}, "Suggested runbooks"));
  if (!list.length) {
    panel.append(h("p", { class: "muted" }, "None yet: a draft appears when three incidents of one problem are resolved by hand the same way."));
    return panel;
  }
  for (const s of list) {
    const status = h("span", { class: "muted" });
    const accept = h("button", {
      type: "button",
      onclick: async () => {
        accept.disabled = true;
        try {
          const r = await call<{ runbook_id: string }>(`/api/v1/runbooks/suggestions/${encodeURIComponent(s.suggestion_id)}/accept`, { method: "POST" });
          status.replaceChildren(h("a", { href: route("runbooks", r.runbook_id) }, "Runbook created"));
        } catch (e) {
          status.textContent = (e as Error).message;
          accept.disabled = false;
        }
      },
    }, "Accept");
    panel.append(h("div", { class: "suggestion", "data-suggestion-id": s.suggestion_id },
      h("div", {}, h("strong", {}, s.title), " ", h("span", { class: "muted" }, `from ${s.incident_ids.length} incidents`)),
      h("details", {}, h("summary", {}, "Draft"), h("pre", {}, s.content)),
      h("div", {}, accept, " ", status),
    ));
  }
  return panel;
}
