import { notifyStage } from "@ir/notify";
import { containerPorts } from "../container";
import { stageLambda } from "../lambda/stage-lambda";

/** The notify stage's Lambda (SQS event source: the notify queue). */
export const handler = stageLambda("notify", notifyStage, containerPorts());
