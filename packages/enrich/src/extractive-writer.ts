import { truncate, type Recommendation, type RecommendationInput, type RecommendationWriter } from "@ir/core";

const MAX_TEXT = 400;

/**
 * The offline writer: no model, just the best evidence we hold, in order — what fixed similar incidents
 * before, then what the best-matching runbooks say to do.
 */
export class ExtractiveWriter implements RecommendationWriter {
  async write({ runbooks, pastResolutions }: RecommendationInput): Promise<Recommendation[]> {
    const recs: Recommendation[] = [];
    for (const p of pastResolutions.slice(0, 2)) {
      recs.push({ source: "past_resolution", incident_id: p.incident_id, text: clip(`Resolved before by ${p.resolved_by}: ${p.resolution}`) });
    }
    for (const r of runbooks.slice(0, 2)) {
      if (r.solution) recs.push({ source: "runbook", runbook_id: r.runbook_id, text: clip(`${r.title}: ${r.solution}`) });
    }
    return recs;
  }
}

const clip = (s: string) => truncate(s, MAX_TEXT);
