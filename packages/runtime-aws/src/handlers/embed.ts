import { embedStage } from "@ir/embed";
import { containerPorts } from "../container";
import { stageLambda } from "../lambda/stage-lambda";

/** The embed stage's Lambda (SQS event source: the embed queue). */
export const handler = stageLambda("embed", embedStage, containerPorts());
