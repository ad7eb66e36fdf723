import { normalizeAlertmanager } from "./alertmanager";
import { normalizeCloudWatch } from "./cloudwatch";
import type { SourceFormat } from "./detect";
import { normalizeSns } from "./sns";
import type { Normalizer } from "./types";

export type { Normalized, Normalizer, ServiceFrom, SourceName, SourceOptions } from "./types";
export { detect, type SourceFormat } from "./detect";
export { normalizeAlertmanager } from "./alertmanager";
export { normalizeCloudWatch, CLOUDWATCH_DETAIL_TYPE } from "./cloudwatch";
export { normalizeSns } from "./sns";
export { checkSubscribeUrl } from "./sns-subscribe-url";
export { severityFromLabel } from "./severity-label";
export { toIsoTimestamp } from "./timestamp";

/** The normalizer for each source format `detect` can name; a plain report needs none (it is already one). */
export const NORMALIZERS: Record<Exclude<SourceFormat, "report">, Normalizer> = {
  cloudwatch: normalizeCloudWatch,
  sns: normalizeSns,
  alertmanager: normalizeAlertmanager,
};
