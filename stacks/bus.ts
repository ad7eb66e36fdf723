import { CLOUDWATCH_ALARM_PATTERN, parseAccountIds } from "./plan";
import type { Secrets } from "./secrets";

/**
 * The project's event bus. Stages PutEvents here (source `incident-responder`); registered customer accounts
 * may put only "CloudWatch Alarm State Change" events from `aws.cloudwatch`, so a tenant can never inject a
 * pipeline event for another tenant.
 */
export function createBus(secrets: Secrets) {
  const bus = new sst.aws.Bus("Bus");
  const self = aws.getCallerIdentityOutput({});

  new aws.cloudwatch.EventBusPolicy("BusPolicy", {
    eventBusName: bus.name,
    policy: $resolve({ arn: bus.arn, account: self.accountId, raw: secrets.tenantAwsAccounts.value }).apply(({ arn, account, raw }) => {
      const tenants = parseAccountIds(raw);
      const statements: object[] = [
        // Keeps the document valid (non-empty) before the first customer registers; the account has IAM access anyway.
        { Sid: "OwnAccount", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "events:PutEvents", Resource: arn },
      ];
      if (tenants.length > 0) {
        statements.push({
          Sid: "TenantAlarmForwarding",
          Effect: "Allow",
          Principal: { AWS: tenants.map((id) => `arn:aws:iam::${id}:root`) },
          Action: "events:PutEvents",
          Resource: arn,
          Condition: {
            StringEquals: {
              "events:source": CLOUDWATCH_ALARM_PATTERN.source,
              "events:detail-type": CLOUDWATCH_ALARM_PATTERN["detail-type"],
            },
          },
        });
      }
      return JSON.stringify({ Version: "2012-10-17", Statement: statements });
    }),
  });

  // Events EventBridge could not deliver to a stage queue (after its own retries) land here instead of vanishing.
  const undelivered = new sst.aws.Queue("BusUndelivered", {
    transform: { queue: (args) => { args.messageRetentionSeconds = 14 * 24 * 3600; } },
  });

  return { bus, undelivered };
}

export type BusResources = ReturnType<typeof createBus>;
