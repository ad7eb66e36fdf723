import { encodeVector, makeEvent, type Alarm, type StageHandler } from "@ir/core";
import { mask } from "./mask";
import { fingerprint } from "./fingerprint";

/** Stateless, so it scales out freely: everything it needs is in the alarm. */
export const embedStage: StageHandler = async (event, ports) => {
  const alarm = event.data as Alarm;
  const masked = mask(alarm.error);
  const [vector] = await ports.embedder.embed([masked]);
  const data = { alarm, masked, fingerprint: fingerprint(alarm.service, masked), vector: encodeVector(vector) };
  return [makeEvent("alarm.embedded", alarm.tenant_id, alarm.alarm_id, data, ports.clock.now().toISOString())];
};
