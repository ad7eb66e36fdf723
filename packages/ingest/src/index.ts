export { ingestStage } from "./stage";
export { authenticate } from "./authenticate";
export { accept, asNormalized, sourceOptions, type Accepted } from "./accept";
export * from "./sources";
export { admitWithinIncidentQuota, checkIncidentQuota, nextPeriodStart } from "./quota";
