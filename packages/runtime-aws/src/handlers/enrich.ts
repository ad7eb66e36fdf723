import { enrichStage } from "@ir/enrich";
import { containerPorts } from "../container";
import { stageLambda } from "../lambda/stage-lambda";

/** The enrich stage's Lambda (SQS event source: the enrich queue). */
export const handler = stageLambda("enrich", enrichStage, containerPorts());
