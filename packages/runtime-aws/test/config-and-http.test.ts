import { describe, expect, it } from "vitest";
import { STAGE_NAMES } from "@ir/core";
import { loadConfig } from "../src/config";
import { toApiRequest, toProxyResult } from "../src/lambda/http-event";
import { deterministicIds } from "../src/lambda/deterministic-ids";
import { refusePrivateTargets } from "../src/ports";
import { httpEvent } from "./support/api-gateway";

const valid: Record<string, string> = {
  IR_BUS_NAME: "bus", IR_BUCKET: "bucket", IR_TABLE: "table", IR_INGEST_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/ingest",
  ...Object.fromEntries(STAGE_NAMES.map((s) => [`IR_DLQ_URL_${s.toUpperCase()}`, `https://sqs.eu-west-1.amazonaws.com/1/${s}-dlq`])),
  IR_PINECONE_INDEX_HOST: "https://idx-abc.svc.pinecone.io", PINECONE_API_KEY: "pc", OPENAI_API_KEY: "sk",
  IR_ADMIN_KEY: "0123456789abcdef0123", IR_PUBLIC_URL: "https://ir.example.com",
};

describe("configuration", () => {
  it("parses the environment once, with defaults for the optional settings", () => {
    const c = loadConfig(valid);
    expect(c.openai).toMatchObject({ embeddingModel: "text-embedding-3-small", chatModel: "gpt-4o-mini" });
    expect(c.deadLetterQueueUrls.match).toBe("https://sqs.eu-west-1.amazonaws.com/1/match-dlq");
    expect(c.pagerdutyEventsUrl).toBe("https://events.pagerduty.com/v2/enqueue");
    expect(refusePrivateTargets.allowPrivateTargets).toBe(false);
  });

  it.each([
    ["IR_DLQ_URL_MATCH", undefined],
    ["IR_PINECONE_INDEX_HOST", "idx-abc.svc.pinecone.io"],
    ["IR_ADMIN_KEY", "short"],
  ])("stops with a message naming %s when it is bad", (name, value) => {
    const env = { ...valid };
    if (value === undefined) delete env[name]; else env[name] = value;
    expect(() => loadConfig(env)).toThrow(new RegExp(`invalid configuration: .*${name}`));
  });
});

describe("API Gateway HTTP API events", () => {
  it("becomes the framework-neutral request: named stage stripped, base64 body decoded, headers lower-cased", () => {
    const req = toApiRequest(httpEvent("POST", "/api/v1/incidents?wait=5", { stage: "prod", base64: true, body: { error: "x" }, headers: { "X-API-Key": "k" } }));
    expect(req).toMatchObject({ method: "POST", path: "/api/v1/incidents", body: '{"error":"x"}', remoteAddress: "203.0.113.9" });
    expect(req.query.get("wait")).toBe("5");
    expect(req.headers["x-api-key"]).toBe("k");
    expect(toApiRequest(httpEvent("GET", "/healthz")).path).toBe("/healthz");
    expect(toProxyResult({ status: 202, headers: { "content-type": "application/json" }, body: "{}" })).toEqual({ statusCode: 202, headers: { "content-type": "application/json" }, body: "{}", isBase64Encoded: false });
  });
});

describe("deterministic ids", () => {
  it("gives every delivery of one event the same ids, time-ordered like newId", () => {
    const a = deterministicIds("alm_1:alarm.embedded", "2024-02-12T10:30:00.000Z");
    const b = deterministicIds("alm_1:alarm.embedded", "2024-02-12T10:30:00.000Z");
    expect([a("inc"), a("inc"), a("aud")]).toEqual([b("inc"), b("inc"), b("aud")]);
    expect(deterministicIds("alm_2:alarm.embedded", "2024-02-12T10:30:00.000Z")("inc")).not.toBe(deterministicIds("alm_1:alarm.embedded", "2024-02-12T10:30:00.000Z")("inc"));
    expect(deterministicIds("x", "2024-02-12T10:30:00.000Z")("inc") < deterministicIds("x", "2024-02-12T10:31:00.000Z")("inc")).toBe(true);
  });
});
