/** The formats a body on the ingest queue can be in; SQS direct publish accepts any of them. */
export type SourceFormat = "cloudwatch" | "sns" | "alertmanager" | "report";

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Tells formats apart by the fields that define them, not by validating: the chosen normalizer then
 * reports what is wrong in the sender's terms. Source formats are checked before the plain report
 * because a report's two fields are the least distinctive.
 */
export const detect = (body: unknown): SourceFormat | null => {
  if (!isRecord(body)) return null;
  if ("detail-type" in body && "detail" in body) return "cloudwatch";
  if (typeof body.Type === "string" && ("Message" in body || "SubscribeURL" in body || "TopicArn" in body)) return "sns";
  // A bare CloudWatch alarm notification: an SNS message delivered raw to SQS.
  if (typeof body.AlarmName === "string" && "NewStateValue" in body) return "sns";
  if (Array.isArray(body.alerts) && ("version" in body || "receiver" in body)) return "alertmanager";
  if (typeof body.error === "string" && typeof body.service === "string") return "report";
  return null;
};
