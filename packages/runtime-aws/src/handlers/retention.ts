import { containerPorts } from "../container";
import { retentionLambda } from "../lambda/retention-lambda";

/** The retention worker's Lambda (an hourly EventBridge Scheduler schedule, stacks/workers.ts). */
export const handler = retentionLambda(containerPorts());
