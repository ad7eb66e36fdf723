/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Incident Responder on AWS. `app()` decides per stage; `run()` builds the stage graph's resources from
 * stacks/ (see docs/aws.md). Stacks are imported inside `run()`: SST evaluates `app()` before its globals exist.
 */
export default $config({
  app(input) {
    const production = ["prod", "production"].includes(input?.stage ?? "");
    return {
      name: "incident-responder",
      home: "aws",
      removal: production ? "retain" : "remove",
      protect: production,
      providers: {
        aws: { defaultTags: { tags: { app: "incident-responder", stage: input?.stage ?? "unknown" } } },
      },
    };
  },
  async run() {
    const { STAGES } = await import("./packages/core/src/graph");
    const { planStages, ingestStage } = await import("./stacks/plan");
    const { createSecrets } = await import("./stacks/secrets");
    const { createStorage } = await import("./stacks/storage");
    const { createBus } = await import("./stacks/bus");
    const { createQueues } = await import("./stacks/queues");
    const { createApi } = await import("./stacks/api");
    const { createWorkers } = await import("./stacks/workers");
    const { createRules } = await import("./stacks/rules");
    const { createAlarms } = await import("./stacks/alarms");

    const plans = planStages(STAGES, { prefix: `ir-${$app.stage}` });
    const secrets = createSecrets();
    const storage = createStorage();
    const bus = createBus(secrets);
    const queues = createQueues(plans);
    const api = createApi();
    createWorkers({ plans, queues, bus, storage, secrets, api });
    createRules(plans, queues, bus, secrets);
    const { topic } = createAlarms(plans, queues, bus);

    const ingest = queues[ingestStage(plans).stage].queue;
    return {
      api: api.url,
      busName: bus.bus.name,
      busArn: bus.bus.arn,
      ingestQueueUrl: ingest.url,
      ingestQueueArn: ingest.arn,
      bucket: storage.bucket.name,
      table: storage.table.name,
      opsAlertsTopic: topic.arn,
    };
  },
});
