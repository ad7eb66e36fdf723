export { matchStage } from "./stage";
export { resolveIncident, type Resolution } from "./resolve";
export { runbookCatalog, invalidateCatalog, readableRunbook, runbookText } from "./catalog";
export { recordResolution, loadStats } from "./learning";
export { appendHistory } from "./history";
export { seedGlobalRunbooks, loadGlobalRunbooks, loadRunbookDir, parseRunbookMarkdown, type ParsedRunbook } from "./global-runbooks";
export { readDailyStats, mergeStats, emptyStats, medianSeconds, type DailyStats, type RunbookCounts } from "./daily-stats";
export { suggestRunbooks, MIN_INCIDENTS, type RunbookSuggestion, type ResolvedIncident } from "./suggest";
export { resolutionText } from "./runbook-sections";
