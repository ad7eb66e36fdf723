import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAGE_NAMES } from "@ir/core";
import { ConfigError, loadConfig, type AwsConfig, type LinkedResources } from "../src/config";
import { FUNCTION_ENV, FUNCTION_SECRETS, SECRET_ENV, SECRET_NAMES, type FunctionName, type SecretName } from "../src/function-secrets";

/** The non-secret environment the stacks give every function. */
const settings: Record<string, string> = {
  IR_BUS_NAME: "bus", IR_BUCKET: "bucket", IR_TABLE: "table", IR_INGEST_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/ingest",
  ...Object.fromEntries(STAGE_NAMES.map((s) => [`IR_DLQ_URL_${s.toUpperCase()}`, `https://sqs.eu-west-1.amazonaws.com/1/${s}-dlq`])),
  IR_PUBLIC_URL: "https://ir.example.com",
};

const LINKED: Record<SecretName, string> = {
  PineconeApiKey: "pc-linked", PineconeIndexHost: "https://linked-abc.svc.pinecone.io", OpenaiApiKey: "sk-linked", AdminKey: "linked-admin-key-0123456789",
};
const FROM_ENV: Record<SecretName, string> = {
  PineconeApiKey: "pc-env", PineconeIndexHost: "https://env-abc.svc.pinecone.io", OpenaiApiKey: "sk-env", AdminKey: "env-admin-key-0123456789",
};

/** `Resource` as SST fills it for a function linked to `secrets`: one `{ value }` per linked secret. */
const linkedTo = (secrets: readonly SecretName[], values: Record<SecretName, string> = LINKED): LinkedResources =>
  Object.fromEntries(secrets.map((s) => [s, { type: "sst.sst.Secret", value: values[s] }]));
const secretsEnv = (secrets: readonly SecretName[]) => Object.fromEntries(secrets.map((s) => [SECRET_ENV[s], FROM_ENV[s]]));

/** Each secret as the config exposes it. */
const READ: Record<SecretName, (c: AwsConfig) => string> = {
  PineconeApiKey: (c) => c.pinecone.apiKey,
  PineconeIndexHost: (c) => c.pinecone.indexHost,
  OpenaiApiKey: (c) => c.openai.apiKey,
  AdminKey: (c) => c.adminKey,
};

const FUNCTIONS = Object.entries(FUNCTION_SECRETS) as [FunctionName, readonly SecretName[]][];

describe("secrets: linked through SST's Resource, environment variables outside SST", () => {
  it("reads linked secrets, not the environment variables of the same secrets", () => {
    // prepare
    const env = { ...settings, ...secretsEnv(SECRET_NAMES) };

    // act
    const c = loadConfig(env, linkedTo(SECRET_NAMES));

    // assess
    for (const s of SECRET_NAMES) expect(READ[s](c), s).toBe(LINKED[s]);
  });

  it("falls back to the environment variable of each secret that is not linked (the suites on the emulators, scripts)", () => {
    const c = loadConfig({ ...settings, ...secretsEnv(SECRET_NAMES) }, linkedTo(["AdminKey"]));

    expect(c.adminKey).toBe(LINKED.AdminKey);
    for (const s of SECRET_NAMES.filter((x) => x !== "AdminKey")) expect(READ[s](c), s).toBe(FROM_ENV[s]);
  });

  it("requires every secret when no function is named", () => {
    const env = { ...settings, ...secretsEnv(SECRET_NAMES.filter((s) => s !== "OpenaiApiKey")) };

    expect(() => loadConfig(env, {})).toThrow(/^invalid configuration: OpenaiApiKey: missing; link the secret to this function, or set OPENAI_API_KEY outside SST$/);
  });

  it.each([
    ["AdminKey", "short", /AdminKey \(linked\): must be at least 16 characters/],
    ["PineconeIndexHost", "idx-abc.svc.pinecone.io", /PineconeIndexHost \(linked\): /],
    ["OpenaiApiKey", "  ", /OpenaiApiKey \(linked\): /],
  ] as const)("stops naming %s when its linked value is invalid", (secret, value, message) => {
    const linked = linkedTo(SECRET_NAMES, { ...LINKED, [secret]: value });

    const load = () => loadConfig(settings, linked);

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it("stops naming IR_FUNCTION when it names no function", () => {
    expect(() => loadConfig({ ...settings, [FUNCTION_ENV]: "mtach" }, linkedTo(SECRET_NAMES))).toThrow(/invalid configuration: IR_FUNCTION: /);
  });

  describe.each(FUNCTIONS)("the %s function", (fn, secrets) => {
    const env = { ...settings, [FUNCTION_ENV]: fn };

    it(`loads with only its own secrets linked (${secrets.join(", ") || "none"})`, () => {
      const c = loadConfig(env, linkedTo(secrets));

      for (const s of secrets) expect(READ[s](c), s).toBe(LINKED[s]);
    });

    it.each(SECRET_NAMES.filter((s) => !secrets.includes(s)))("never hands out %s, even when it is there, and names it when asked", (secret) => {
      const c = loadConfig({ ...env, ...secretsEnv(SECRET_NAMES) }, linkedTo(SECRET_NAMES));

      expect(() => READ[secret](c)).toThrow(ConfigError);
      expect(() => READ[secret](c)).toThrow(new RegExp(`^${secret} is not available to the ${fn} function`));
    });

    it.each(secrets.map((s) => [s, SECRET_ENV[s]]))("stops at start-up naming %s (and %s) when it is neither linked nor set", (secret, variable) => {
      const linked = linkedTo(secrets.filter((s) => s !== secret));

      expect(() => loadConfig(env, linked)).toThrow(new RegExp(`^invalid configuration: ${secret}: missing; link the secret to this function, or set ${variable} outside SST$`));
    });
  });
});

/**
 * The real `Resource` of `sst/resource`, reading what SST deploys: the linked values encrypted into the bundle
 * (`resource.enc`, AES-256-GCM with a zero nonce, tag last) and the key in `SST_KEY`. `Resource` loads once per
 * process, so this file's other tests pass their links explicitly and never touch it.
 */
describe("a deployed function's Resource", () => {
  const dir = mkdtempSync(join(tmpdir(), "ir-sst-resource-"));
  const saved = { SST_KEY: process.env.SST_KEY, SST_KEY_FILE: process.env.SST_KEY_FILE, SST_RESOURCE_App: process.env.SST_RESOURCE_App };

  beforeAll(() => {
    const key = randomBytes(32);
    const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
    const plain = JSON.stringify(linkedTo(FUNCTION_SECRETS.http));
    writeFileSync(join(dir, "resource.enc"), Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]));
    Object.assign(process.env, {
      SST_KEY: key.toString("base64"), SST_KEY_FILE: join(dir, "resource.enc"), SST_RESOURCE_App: JSON.stringify({ name: "incident-responder", stage: "test" }),
    });
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives loadConfig the secrets decrypted from the bundle, over any environment variable", () => {
    const c = loadConfig({ ...settings, [FUNCTION_ENV]: "http", IR_ADMIN_KEY: FROM_ENV.AdminKey });

    expect(c.adminKey).toBe(LINKED.AdminKey);
    expect(c.pinecone).toMatchObject({ apiKey: LINKED.PineconeApiKey, indexHost: LINKED.PineconeIndexHost });
    expect(() => c.openai.apiKey).toThrow(/OpenaiApiKey is not available to the http function/);
  });

  it("does not make up a secret the bundle lacks", () => {
    expect(() => loadConfig({ ...settings, [FUNCTION_ENV]: "embed" })).toThrow(/OpenaiApiKey: missing/);
  });
});
