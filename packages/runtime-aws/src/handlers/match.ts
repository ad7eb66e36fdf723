import { matchStage } from "@ir/match";
import { containerPorts } from "../container";
import { stageLambda } from "../lambda/stage-lambda";

/** The match stage's Lambda (SQS event source: the match queue). */
export const handler = stageLambda("match", matchStage, containerPorts());
