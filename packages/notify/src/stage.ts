import { IncidentChanged, NotificationSend, Poison, type PipelineEvent, type StageHandler } from "@ir/core";
import type { z } from "zod";
import { deliver } from "./deliver";
import { routeChange } from "./route";

/** A malformed event can never succeed: dead-lettered at once, naming the field. */
const dataOf = <S extends z.ZodType>(schema: S, event: PipelineEvent): z.infer<S> => {
  const parsed = schema.safeParse(event.data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Poison(`malformed ${event.type}: ${issue?.path.join(".") || "data"}: ${issue?.message ?? "invalid"}`);
};

/** Two steps on one queue: route a change to its channels, then send each notification on its own. */
export const notifyStage: StageHandler = async (event, ports) => {
  switch (event.type) {
    case "incident.changed":
      return routeChange(event, dataOf(IncidentChanged, event), ports);
    case "notification.send":
      await deliver(event, dataOf(NotificationSend, event), ports);
      return [];
    default:
      throw new Poison(`notify does not consume ${event.type}`);
  }
};
