import { Poison, RetryLater } from "@ir/core";

interface HttpishError { status?: number; headers?: Headers | Record<string, string> }

const header = (headers: HttpishError["headers"], name: string) =>
  headers instanceof Headers ? headers.get(name) : headers?.[name];

/**
 * What an OpenAI failure means for the SQS record: a rate limit waits as long as OpenAI asks (not
 * counted against the record's attempts as a crash would be), a request OpenAI will never accept is
 * poison, anything else is retried by SQS.
 */
export const classifyOpenAiError = (err: unknown): Error => {
  const e = err as HttpishError & Error;
  if (e?.status === 429) {
    const ms = Number(header(e.headers, "retry-after-ms")) || Number(header(e.headers, "retry-after")) * 1000 || 10_000;
    return new RetryLater(`OpenAI rate limit: ${e.message}`, Math.min(ms, 15 * 60_000));
  }
  if (e?.status === 400 || e?.status === 413 || e?.status === 422) return new Poison(`OpenAI rejected the request: ${e.message}`);
  return err instanceof Error ? err : new Error(String(err));
};
