export { matchStage } from "./stage";
export { resolveIncident, type Resolution } from "./resolve";
export { runbookCatalog, invalidateCatalog, runbookText } from "./catalog";
export { recordResolution, loadStats } from "./learning";
export { appendHistory } from "./history";
export { loadGlobalRunbooks, loadRunbookDir, parseRunbookMarkdown, type ParsedRunbook } from "./global-runbooks";
