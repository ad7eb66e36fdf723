import { Poison, RetryLater } from "@ir/core";
import { parseRetryAfter } from "./retry-after";
import { fetchTarget } from "./ssrf";
import { oneLine, truncate } from "./text";

/**
 * One HTTP attempt mapped onto the runtime's retry contract: 2xx is done, 408/429/5xx and network failures
 * are retried (honouring Retry-After), any other status can never succeed and is dead-lettered with it.
 */

export const SEND_TIMEOUT_MS = 10_000;
/** Without a Retry-After, a short floor; the runtime's backoff by attempt comes on top of it. */
export const DEFAULT_RETRY_MS = 1_000;
/** A receiver may not park a message for longer than a queue can delay it (SQS: 15 minutes). */
export const MAX_RETRY_MS = 15 * 60_000;
const EXCERPT = 200;

export interface HttpAnswer {
  status: number;
  retryAfter: string | null;
  body: string;
}

export const retryDelay = (retryAfter: string | null, now: Date): number =>
  Math.min(MAX_RETRY_MS, parseRetryAfter(retryAfter, now) ?? DEFAULT_RETRY_MS);

const transient = (status: number) => status === 408 || status === 429 || status >= 500;

/** Returns on 2xx; otherwise throws RetryLater or Poison naming the receiver (never its URL or key). */
export const settle = (receiver: string, answer: HttpAnswer, now: Date): void => {
  const { status } = answer;
  if (status >= 200 && status < 300) return;
  if (transient(status)) throw new RetryLater(`${receiver} answered ${status}`, retryDelay(answer.retryAfter, now));
  const hint = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
  throw new Poison(`${receiver} answered ${status}${hint}: ${truncate(oneLine(answer.body), EXCERPT)}`);
};

/** The request never got an answer (refused, reset, DNS, timeout): worth retrying. */
export const unreachable = (receiver: string, err: unknown): RetryLater => {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  const why = cause?.code ?? (err instanceof Error ? err.name : "error");
  return new RetryLater(`${receiver} unreachable (${why})`, DEFAULT_RETRY_MS);
};

/**
 * POST a JSON body with a per-request timeout. Redirects are not followed: a public URL answering with a
 * redirect to an internal address must not become a way in. A URL a tenant chose is fetched through
 * fetchTarget, with what the runtime allows it to reach; the operator's own (PagerDuty's events URL) is not.
 */
export const postJson = async (
  receiver: string, url: string, body: string, headers: Record<string, string>, tenantUrl?: { allowPrivate: boolean },
): Promise<HttpAnswer> => {
  const send = tenantUrl ? fetchTarget(tenantUrl.allowPrivate) : fetch;
  let res: Response;
  try {
    res = await send(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "incident-responder", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    throw unreachable(receiver, err);
  }
  // The body matters only when it explains a failure; a success is drained so the connection is reused.
  let text = "";
  if (res.ok) await res.body?.cancel();
  else text = await res.text().catch(() => "");
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: text };
};
