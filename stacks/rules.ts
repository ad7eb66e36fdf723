import type { BusResources } from "./bus";
import { parseAccountIds, type StagePlan } from "./plan";
import type { StageQueues } from "./queues";
import type { Secrets } from "./secrets";

type Statement = Record<string, unknown>;

const policyJson = (statements: Statement[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

const fromRules = (arn: string, sources: string[]): Statement => ({
  Sid: "FromOwnRules",
  Effect: "Allow",
  Principal: { Service: "events.amazonaws.com" },
  Action: "sqs:SendMessage",
  Resource: arn,
  Condition: { ArnEquals: { "aws:SourceArn": sources } },
});

/**
 * One EventBridge rule per consumed event (per shard for ordered stages) targeting the stage's queue, and one
 * queue policy per queue. Rules are created here rather than with `bus.subscribeQueue`: SST's subscriber writes
 * its own `aws.sqs.QueuePolicy` per subscription, without a source condition, and a queue holds exactly one
 * policy, so a second subscription (or the ingest queue's tenant statement) would overwrite the first.
 */
export function createRules(plans: StagePlan[], queues: StageQueues, bus: BusResources, secrets: Secrets) {
  const allRuleArns: $util.Output<string>[] = [];

  for (const p of plans) {
    const set = queues[p.stage];
    const targets = { internal: [] as $util.Output<string>[], external: [] as $util.Output<string>[] };

    for (const r of p.rules) {
      const target = r.external ? set.forwarded : set.queue;
      if (!target) throw new Error(`${r.name}: ${p.stage} has no forwarded-alarms queue for an external rule`);
      const rule = new aws.cloudwatch.EventRule(r.name, {
        name: r.name,
        description: r.external ? `customers' CloudWatch alarms to ${p.stage}` : `${r.event} to ${p.stage}`,
        eventBusName: bus.bus.name,
        eventPattern: JSON.stringify(r.pattern),
      });
      new aws.cloudwatch.EventTarget(`${r.name}-target`, {
        rule: rule.name,
        eventBusName: bus.bus.name,
        arn: target.arn,
        sqsTarget: r.messageGroupId ? { messageGroupId: r.messageGroupId } : undefined,
        retryPolicy: { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 },
        deadLetterConfig: { arn: bus.undelivered.arn },
      });
      (r.external ? targets.external : targets.internal).push(rule.arn);
      allRuleArns.push(rule.arn);
    }

    if (p.directPublish) {
      // SQS direct publish from registered customer accounts; the tenant key travels in the `ir-api-key` attribute.
      const self = aws.getCallerIdentityOutput({});
      new aws.sqs.QueuePolicy(`${p.component}QueuePolicy`, {
        queueUrl: set.queue.url,
        policy: $resolve({ arn: set.queue.arn, account: self.accountId, raw: secrets.tenantAwsAccounts.value }).apply(({ arn, account, raw }) => {
          const tenants = parseAccountIds(raw);
          const statements: Statement[] = [
            // Keeps the document valid before the first customer registers; the account has IAM access anyway.
            { Sid: "OwnAccount", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sqs:SendMessage", Resource: arn },
          ];
          if (tenants.length > 0) {
            statements.push({
              Sid: "TenantDirectPublish",
              Effect: "Allow",
              Principal: { AWS: tenants.map((id) => `arn:aws:iam::${id}:root`) },
              Action: ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
              Resource: arn,
            });
          }
          return policyJson(statements);
        }),
      });
    } else {
      new aws.sqs.QueuePolicy(`${p.component}QueuePolicy`, {
        queueUrl: set.queue.url,
        policy: $resolve({ arn: set.queue.arn, sources: $util.all(targets.internal) }).apply(({ arn, sources }) => policyJson([fromRules(arn, sources)])),
      });
    }

    if (set.forwarded) {
      new aws.sqs.QueuePolicy(`${p.component}ForwardedQueuePolicy`, {
        queueUrl: set.forwarded.url,
        policy: $resolve({ arn: set.forwarded.arn, sources: $util.all(targets.external) }).apply(({ arn, sources }) => policyJson([fromRules(arn, sources)])),
      });
    }
  }

  new aws.sqs.QueuePolicy("BusUndeliveredPolicy", {
    queueUrl: bus.undelivered.url,
    policy: $resolve({ arn: bus.undelivered.arn, sources: $util.all(allRuleArns) }).apply(({ arn, sources }) =>
      policyJson([{ ...fromRules(arn, sources), Sid: "FailedDeliveries" }]),
    ),
  });
}
