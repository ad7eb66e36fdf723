import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Poison, RetryLater } from "@ir/core";
import { sendSlack } from "../../src/slack/send";
import { fakePorts, type FakePorts } from "../fakes";
import { startReceiver, type HttpReceiver } from "../http-receiver";

let slack: HttpReceiver;
let elsewhere: HttpReceiver;
let ports: FakePorts;

beforeAll(async () => {
  [slack, elsewhere] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([slack.close(), elsewhere.close()]);
});
beforeEach(() => {
  for (const r of [slack, elsewhere]) r.reset();
  ports = fakePorts();
});

const send = () => sendSlack({
  channel: { type: "slack", webhook_url: `${slack.url}/services/T000/B000/slacksecretpath0001` },
  payload: { text: "🔴 CRITICAL in db", blocks: [] },
  tenantId: "tenant_1",
  deliveryId: "d1",
  ports,
});

describe("slack send: redirects", () => {
  it.each([301, 302, 307, 308])("dead-letters a %i at once, like PagerDuty and webhooks, and does not follow it", async (status) => {
    // prepare
    slack.reply({ status, headers: { location: `${elsewhere.url}/moved` }, body: "moved" });
    // act
    const error = await send().catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(Poison);
    expect(error).not.toBeInstanceOf(RetryLater);
    expect((error as Error).message).toMatch(new RegExp(`^slack answered ${status} \\(redirects are not followed\\)`));
    expect(slack.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("still retries when the connection drops", async () => {
    // prepare
    slack.reply({ status: 0, reset: true });
    // act
    const error = await send().catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as Error).message).toMatch(/^slack unreachable/);
  });
});
