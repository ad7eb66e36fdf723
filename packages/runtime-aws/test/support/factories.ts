import type { Incident } from "@ir/core";

const NOW = "2024-02-12T10:30:00.000Z";

/** An OPEN incident document with every field set, for store tests. */
export const incident = (tenantId: string, id: string, over: Partial<Incident> = {}): Incident => ({
  incident_id: id, tenant_id: tenantId, error_message: "Lambda timeout after 30 seconds", service: "payments", severity: "MEDIUM", status: "OPEN",
  runbook_matched: false, runbook_similarity: 0, recommended_runbooks: [], recommendations: [], similar_resolutions: [], related_incidents: [],
  created_at: NOW, last_seen: NOW, occurrences: 1, history: [{ timestamp: NOW, event: "created", user: "system" }],
  resolution: null, resolved_at: null, resolved_by: null, resolved_runbook_id: null, regression_of: null,
  fingerprint: `fp-${id}`, template: "Lambda timeout after <*> seconds", source_keys: [], flapping: false, ...over,
});
