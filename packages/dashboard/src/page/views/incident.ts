/// <reference lib="dom" />
import type { Incident } from "@ir/core";
import { call } from "../api";
import { h, route } from "../dom";
import { count, percent, when } from "../format";

const field = (label: string, ...value: Array<Node | string>) => [h("dt", {}, label), h("dd", {}, ...value)];
const incidentLink = (id: string) => h("a", { href: route("incidents", id) }, id);

/** One incident: what it is, what to do (runbooks, recommendations, how similar ones were fixed), and its history. */
export async function incidentView(id: string): Promise<HTMLElement> {
  const i = await call<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`);
  return h("section", { class: "incident", "data-incident-id": i.incident_id },
    h("p", {}, h("a", { href: "#/" }, "← Overview"), " · ", h("a", { href: "#/incidents" }, "All incidents")),
    h("h2", { class: "incident-title" }, i.error_message),
    h("div", { class: "badges" },
      h("span", { class: `status status-${i.status.toLowerCase()}` }, i.status),
      h("span", { class: `sev sev-${i.severity.toLowerCase()}` }, i.severity),
      i.regression_of ? h("span", { class: "tag regression" }, "regression") : null,
      i.flapping ? h("span", { class: "tag" }, "flapping") : null,
    ),
    h("dl", { class: "facts" },
      field("Incident", i.incident_id),
      field("Service", i.service),
      field("Occurrences", h("span", { "data-field": "occurrences" }, count(i.occurrences))),
      field("Opened", when(i.created_at)),
      field("Last seen", when(i.last_seen)),
      i.regression_of ? field("Regression of", incidentLink(i.regression_of)) : [],
      i.status === "RESOLVED" ? field("Resolved", `${when(i.resolved_at)} by ${i.resolved_by ?? "unknown"}`) : [],
      i.resolution ? field("Resolution", i.resolution) : [],
      i.resolved_runbook_id ? field("Resolved with", h("a", { href: route("runbooks", i.resolved_runbook_id) }, i.resolved_runbook_id)) : [],
    ),
    h("div", { class: "tables" },
      h("section", { class: "panel" },
        h("h3", {}, "Recommended runbooks"),
        i.recommended_runbooks.length
          ? h("ol", { class: "recommended" }, i.recommended_runbooks.map((r) =>
            h("li", { "data-runbook-id": r.runbook_id }, h("a", { href: route("runbooks", r.runbook_id) }, r.title), " ", h("span", { class: "muted" }, `${percent(r.similarity)} match`), r.solution ? h("p", {}, r.solution) : null)))
          : h("p", { class: "muted" }, "No runbook matched."),
        h("h3", {}, "Recommendations"),
        i.recommendations.length
          ? h("ul", { class: "recommendations" }, i.recommendations.map((r) => h("li", { "data-source": r.source }, r.text)))
          : h("p", { class: "muted" }, "None yet."),
      ),
      h("section", { class: "panel" },
        h("h3", {}, "How similar incidents were resolved"),
        i.similar_resolutions.length
          ? h("ul", { class: "similar" }, i.similar_resolutions.map((p) =>
            h("li", { "data-incident-id": p.incident_id },
              h("q", {}, p.resolution), h("div", { class: "muted" }, `${p.resolved_by}, ${when(p.resolved_at)} · `, incidentLink(p.incident_id), ` · ${percent(p.similarity)} similar`))))
          : h("p", { class: "muted" }, "No similar resolved incident."),
        i.related_incidents.length
          ? [h("h3", {}, "Related incidents"), h("ul", {}, i.related_incidents.map((r) => h("li", {}, incidentLink(r.incident_id), ` ${percent(r.similarity)} similar`)))]
          : null,
      ),
    ),
    h("section", { class: "panel" },
      h("h3", {}, "History"),
      h("table", { class: "history" },
        h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Event"), h("th", {}, "By"), h("th", {}, "Detail"))),
        h("tbody", {}, i.history.map((e) =>
          h("tr", { "data-event": e.event },
            h("td", {}, when(e.timestamp)),
            h("td", {}, e.event.replace(/_/g, " ")),
            h("td", {}, e.user),
            h("td", {},
              e.comment ?? "",
              e.incident_id ? incidentLink(e.incident_id) : "",
              e.match ? h("span", { class: "muted" }, ` matched by ${e.match.method} (${e.match.score})`) : ""),
          ))),
      ),
    ),
  );
}
