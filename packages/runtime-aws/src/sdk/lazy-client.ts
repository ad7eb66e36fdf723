/** What {@link LazyClient} needs of an AWS SDK v3 client. */
interface SdkClient {
  middlewareStack: { add(...args: never[]): void };
}

/**
 * An AWS SDK v3 client whose SDK code is imported on first use. The SDK was over half of what a handler
 * parsed and ran at cold start; behind a dynamic `import()`, esbuild puts each service in a chunk that only
 * the first invocation calling that service loads (ingest and embed never call S3, and the stages call SQS
 * only to delay a record's retry or dead-letter it). `sdk` is the service's module (./dynamodb, ./s3, ...):
 * commands are built from it, so they load with it.
 */
export class LazyClient<Sdk, Client extends SdkClient> {
  private loaded: Promise<{ sdk: Sdk; client: Client }> | undefined;
  private client: Client | undefined;
  /** Middleware added before the client exists (tests and the bench instrument clients up front). */
  private readonly early: unknown[][] = [];

  constructor(private readonly load: () => Promise<Sdk>, private readonly create: (sdk: Sdk) => Client) {}

  /** The service's SDK module and the client: imported and built once, on the first call. */
  use(): Promise<{ sdk: Sdk; client: Client }> {
    return (this.loaded ??= this.load().then((sdk) => {
      const client = this.create(sdk);
      for (const args of this.early.splice(0)) client.middlewareStack.add(...(args as never[]));
      this.client = client;
      return { sdk, client };
    }, (err: unknown) => {
      // A failed import (a transient read error on a cold container) is retried by the next call, not kept.
      this.loaded = undefined;
      throw err;
    }));
  }

  /** The client's own `middlewareStack.add`, also before the client is built. */
  readonly middlewareStack: Pick<Client["middlewareStack"], "add"> = {
    add: ((...args: never[]) => {
      if (this.client) this.client.middlewareStack.add(...args);
      else this.early.push(args);
    }) as Client["middlewareStack"]["add"],
  };
}
