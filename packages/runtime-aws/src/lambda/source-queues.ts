import type { SqsLazy } from "../clients";

/**
 * Queue URLs for the queues records came from (needed to change a message's visibility), resolved once per
 * container from the record's ARN. Asking SQS rather than formatting the URL keeps it right on every
 * partition and endpoint, emulators included.
 */
export class SourceQueues {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(private readonly sqs: SqsLazy) {}

  urlOf(arn: string): Promise<string> {
    let url = this.urls.get(arn);
    if (!url) {
      const [, , , , account, name] = arn.split(":");
      url = this.sqs.use().then(({ sdk, client }) => client.send(new sdk.GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account })))
        .then((o) => o.QueueUrl!);
      url.catch(() => this.urls.delete(arn));
      this.urls.set(arn, url);
    }
    return url;
  }
}
