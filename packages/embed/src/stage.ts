import { encodeVector, makeEvent, type Alarm, type StageHandler } from "@ir/core";
import { mask } from "./mask";
import { fingerprint } from "./fingerprint";

/**
 * Stateless, so it scales out freely. A message whose fingerprint already has an incident is not embedded:
 * most alarms are duplicates, and on AWS an embedding is an OpenAI call (match embeds later if it must).
 */
export const embedStage: StageHandler = async (event, ports) => {
  const alarm = event.data as Alarm;
  const masked = mask(alarm.error);
  const fp = fingerprint(alarm.service, masked);
  const known = await ports.incidents.findByFingerprint(alarm.tenant_id, alarm.service, fp);
  const vector = known ? "" : encodeVector((await ports.embedder.embed([masked]))[0]);
  const data = { alarm, masked, fingerprint: fp, vector };
  return [makeEvent("alarm.embedded", alarm.tenant_id, alarm.alarm_id, data, ports.clock.now().toISOString())];
};
