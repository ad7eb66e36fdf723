import { ingestStage } from "@ir/ingest";
import { containerPorts } from "../container";
import { stageLambda } from "../lambda/stage-lambda";

/** The ingest stage's Lambda (SQS event source: the ingest queue). */
export const handler = stageLambda("ingest", ingestStage, containerPorts());
