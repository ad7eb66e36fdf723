import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { EventType } from "../../packages/core/src/events";
import { STAGES, STAGE_NAMES, routesFor, routingRules, type StageSpec } from "../../packages/core/src/graph";
import { newId } from "../../packages/core/src/ids";
import { loadConfig } from "../../packages/runtime-aws/src/config";
import { EVENT_SOURCE as PUBLISHED_SOURCE } from "../../packages/runtime-aws/src/adapters/event-bus";
import { FUNCTION_ENV, FUNCTION_SECRETS, SECRET_ENV, type SecretName } from "../../packages/runtime-aws/src/function-secrets";
import {
  CLOUDWATCH_ALARM_PATTERN,
  DEFAULT_SHARDS,
  EVENT_SOURCE,
  HTTP_FUNCTION,
  RETENTION_FUNCTION,
  PRODUCTION_STAGES,
  RETENTION_TIERS,
  SHARD_ALPHABET,
  FIFO_WAITS, UNCOUNTED_RECEIVES,
  VISIBILITY_FACTOR,
  functionEnvironment,
  ingestStage,
  isProductionStage,
  lifecycleRules,
  optionalEnvironment,
  parseAccountIds,
  planStages,
  shardOf,
  type EnvironmentValues,
  type EventPattern,
  type FunctionPlan,
  type StagePlan,
} from "../../stacks/plan";

const root = fileURLToPath(new URL("../..", import.meta.url));
const plans = planStages(STAGES, { prefix: "ir-prod" });
const planOf = (stage: string) => plans.find((p) => p.stage === stage) as StagePlan;
/** Every event type a stage puts on the bus (source.raw never travels on it). */
const BUS_EVENT_TYPES = [...new Set(routingRules().map((r) => r.event))].filter((t) => t !== "source.raw");

/** EventBridge matching for the operators the plan uses: exact values, `prefix`, `suffix`, nested objects. */
function matches(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const have = event[key];
    if (Array.isArray(want)) {
      return want.some((w) => {
        if (typeof w === "string") return have === w;
        const op = w as { prefix?: string; suffix?: string };
        if (typeof have !== "string") return false;
        if (op.suffix !== undefined) return have.endsWith(op.suffix);
        if (op.prefix !== undefined) return have.startsWith(op.prefix);
        throw new Error(`operator not modelled here: ${JSON.stringify(w)}`);
      });
    }
    return typeof have === "object" && have !== null && matches(want as EventPattern, have as Record<string, unknown>);
  });
}

/** What EventBridge sees after a stage's PutEvents: the envelope is the detail. */
const busEvent = (type: EventType, tenantId: string) => ({
  source: EVENT_SOURCE,
  "detail-type": type,
  detail: { id: `alm_1:${type}`, type, tenant_id: tenantId, at: "2024-02-12T10:30:00Z", data: {} },
});

const deliveries = (event: Record<string, unknown>) =>
  plans.flatMap((p) => p.rules.filter((r) => matches(r.pattern, event)).map((r) => ({ stage: p.stage, rule: r })));

describe("planStages: every stage of the graph gets its resources", () => {
  it("plans exactly the graph's stages", () => {
    expect(plans.map((p) => p.stage)).toEqual(STAGE_NAMES);
  });

  describe.each(STAGE_NAMES)("%s", (stage) => {
    const spec: StageSpec = STAGES[stage];
    const p = planOf(stage);

    it("has a queue and a DLQ, FIFO exactly when the stage is ordered", () => {
      expect(p.queueName).toBe(`ir-prod-${stage}${spec.ordered ? ".fifo" : ""}`);
      expect(p.dlqName).toBe(`ir-prod-${stage}-dlq${spec.ordered ? ".fifo" : ""}`);
      expect(p.fifo).toBe(spec.ordered);
    });

    it("redrives after the stage's attempts (plus a receive a minute through its retry window, plus uncounted hand-backs, plus room on FIFO to wait behind failing messages), with a visibility timeout of at least 6x the function timeout", () => {
      const window = (spec as StageSpec).retryWindowSeconds ?? 0;
      expect(p.maxReceiveCount).toBe(Math.min(1000, spec.maxAttempts + Math.ceil(window / 60) + UNCOUNTED_RECEIVES + (spec.ordered ? FIFO_WAITS * spec.maxAttempts : 0)));
      if (window) expect(p.maxReceiveCount).toBeGreaterThan(spec.maxAttempts);
      expect(p.timeoutSeconds).toBe(spec.timeoutSeconds);
      expect(p.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(VISIBILITY_FACTOR * p.timeoutSeconds);
      expect(p.oldestMessageAlarmSeconds).toBeGreaterThanOrEqual(2 * p.visibilityTimeoutSeconds);
      // A message parked on purpose (notify's quiet check for a flapping incident) is not a stuck consumer.
      expect(p.oldestMessageAlarmSeconds).toBeGreaterThan((spec as StageSpec).parksUpToSeconds ?? 0);
    });

    it("sizes the function from the spec", () => {
      expect(p.memoryMb).toBe(spec.memoryMb);
      expect(p.batchSize).toBe(spec.batchSize);
      expect(p.handler).toBe(`packages/runtime-aws/src/handlers/${stage}.handler`);
      expect(p.handlerFile).toBe(`packages/runtime-aws/src/handlers/${stage}.ts`);
      expect(p.dlqEnvVar).toBe(`IR_DLQ_URL_${stage.toUpperCase()}`);
    });

    it.each([...spec.consumes])("has a rule on the bus for %s", (event) => {
      const rules = p.rules.filter((r) => r.event === event);
      if (event === "source.raw") {
        // Raw messages come by SQS direct publish; their only bus form is a customer's forwarded CloudWatch alarm.
        expect(rules).toEqual([expect.objectContaining({ external: true, pattern: CLOUDWATCH_ALARM_PATTERN })]);
        expect(p.forwardedQueueName).toBe(`ir-prod-${stage}-forwarded`);
        return;
      }
      expect(rules.length).toBe(spec.ordered ? DEFAULT_SHARDS : 1);
      for (const r of rules) {
        expect(r.external).toBe(false);
        // The source the bus adapter publishes with: a rule on another one would never match.
        expect(r.pattern.source).toEqual([EVENT_SOURCE]);
        expect(EVENT_SOURCE).toBe(PUBLISHED_SOURCE);
        expect(r.pattern["detail-type"]).toEqual([event]);
        expect(Boolean(r.messageGroupId)).toBe(spec.ordered);
      }
    });
  });

  it("routes every (event, stage) pair of the graph", () => {
    for (const { event, stage } of routingRules()) {
      expect(planOf(stage).rules.some((r) => r.event === event), `${event} -> ${stage}`).toBe(true);
    }
  });

  it("uses unique physical names", () => {
    const names = plans.flatMap((p) => [p.queueName, p.dlqName, ...(p.forwardedQueueName ? [p.forwardedQueueName] : [])]);
    const alarms = plans.flatMap((p) => Object.values(p.alarmNames));
    expect(new Set(alarms).size).toBe(alarms.length);
    expect(alarms.every((a) => a.startsWith("ir-prod-"))).toBe(true);
    const rules = plans.flatMap((p) => p.rules.map((r) => r.name));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(rules).size).toBe(rules.length);
  });
});

describe("routing: an event on the bus reaches exactly the stages the graph names", () => {
  // Minted ids end only in [0-9a-z]: one id per shard character as well, so every suffix pattern is matched at least once.
  const tenants = ["tenant_" + "0", ...Array.from({ length: 200 }, () => newId("tenant")), ...[...SHARD_ALPHABET].map((c) => `t_x${c}`)];

  it.each(BUS_EVENT_TYPES)("%s", (type) => {
    for (const tenant of tenants) {
      const got = deliveries(busEvent(type, tenant));
      // One delivery per consuming stage: an ordered stage's shards never overlap and never miss.
      expect(got.map((d) => d.stage).sort(), `${type} for ${tenant}`).toEqual([...routesFor(type)].sort());
    }
  });

  it("keeps all of one tenant's events in one message group of an ordered stage", () => {
    const ordered = plans.filter((p) => p.fifo);
    expect(ordered.length).toBeGreaterThan(0);
    for (const p of ordered) {
      for (let i = 0; i < 50; i++) {
        const tenant = newId("tenant");
        const groups = new Set(
          STAGES[p.stage].consumes.flatMap((type) =>
            deliveries(busEvent(type, tenant)).filter((d) => d.stage === p.stage).map((d) => d.rule.messageGroupId),
          ),
        );
        expect(groups.size, `${p.stage} groups for ${tenant}`).toBe(1);
        expect([...groups][0]).toBe(`${p.stage}-tenants-${shardOf(tenant, DEFAULT_SHARDS)}`);
      }
    }
  });

  it("covers every character a tenant id can end with, once", () => {
    for (const p of plans.filter((x) => x.fifo)) {
      for (const event of STAGES[p.stage].consumes) {
        const suffixes = p.rules.filter((r) => r.event === event).flatMap((r) => r.tenantSuffixes ?? []);
        expect(suffixes.sort()).toEqual([...SHARD_ALPHABET].sort());
      }
    }
  });

  it("sends customers' CloudWatch alarms (forwarded to the bus) to the ingest stage only", () => {
    const alarm = { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", account: "123456789012", detail: { alarmName: "x" } };
    const got = deliveries(alarm);
    expect(got.map((d) => d.stage)).toEqual([ingestStage(plans).stage]);
    expect(got[0].rule.external).toBe(true);
    expect(got[0].rule.pattern).toEqual(CLOUDWATCH_ALARM_PATTERN);
  });

  it("routes nothing for a source.raw put on the bus (raw messages come by SQS direct publish only)", () => {
    expect(deliveries(busEvent("source.raw", "tenant_x"))).toEqual([]);
  });

  it("ignores events from other sources", () => {
    const spoof = { ...busEvent("alarm.received", "tenant_x"), source: "someone.else" };
    expect(deliveries(spoof)).toEqual([]);
  });
});

describe("the ingest queue takes SQS direct publish", () => {
  it("is the one stage consuming source.raw, and is not FIFO", () => {
    const ingest = ingestStage(plans);
    expect(ingest.stage).toBe("ingest");
    expect(ingest.fifo).toBe(false);
    expect(plans.filter((p) => p.forwardedQueueName).map((p) => p.stage)).toEqual(["ingest"]);
  });

  it("keeps customers' forwarded alarms off the direct-publish queue", () => {
    const ingest = ingestStage(plans);
    expect(ingest.forwardedQueueName).not.toBe(ingest.queueName);
    expect(ingest.rules.every((r) => r.external)).toBe(true);
  });
});

describe("planStages rejects what AWS would reject", () => {
  const base = STAGES.embed;
  it.each([
    ["a batch above 10", { ...base, batchSize: 11 }, /batchSize/],
    ["a timeout above Lambda's 900 s", { ...base, timeoutSeconds: 901 }, /timeoutSeconds/],
    ["memory below 128 MB", { ...base, memoryMb: 64 }, /memoryMb/],
  ])("%s", (_d, spec, message) => {
    expect(() => planStages({ embed: spec })).toThrow(message);
  });

  it("names too long for SQS or EventBridge", () => {
    expect(() => planStages(STAGES, { prefix: `ir-${"x".repeat(70)}` })).toThrow(/characters, AWS allows/);
  });

  it("a stage name with a dot, which SQS allows only in .fifo", () => {
    expect(() => planStages(STAGES, { prefix: "ir-john.doe" })).toThrow(/queue name "ir-john\.doe-ingest" may only use letters, digits, "-" and "_"/);
  });
});

describe("stage settings", () => {
  it.each([
    ["prod", true],
    ["production", true],
    ["dev", false],
    ["pr-123", false],
  ])("%s is production: %s", (stage, want) => {
    expect(isProductionStage(stage)).toBe(want);
  });

  it("sst.config.ts retains and protects the same production stages", () => {
    const config = readFileSync(join(root, "sst.config.ts"), "utf8");
    const list = /\[([^\]]*)\]\.includes\(input/.exec(config)?.[1];
    expect(list?.split(",").map((s) => s.trim().replace(/"/g, ""))).toEqual([...PRODUCTION_STAGES]);
    expect(config).toMatch(/removal: production \? "retain" : "remove"/);
  });

  it("passes on optional runtime settings only when set, from IR_-prefixed shell variables", () => {
    expect(optionalEnvironment({ IR_CHAT_MODEL: "gpt-4o", IR_LOG_LEVEL: "", UNRELATED: "x" })).toEqual({ IR_CHAT_MODEL: "gpt-4o" });
    expect(optionalEnvironment({ IR_LOG_LEVEL: "debug", IR_OPENAI_BASE_URL: "https://proxy.example.com/v1" })).toEqual({ LOG_LEVEL: "debug", OPENAI_BASE_URL: "https://proxy.example.com/v1" });
    // A shell's own LOG_LEVEL or OPENAI_BASE_URL (a CI's, a test stand-in's) stays out of production.
    expect(optionalEnvironment({ LOG_LEVEL: "DEBUG", OPENAI_BASE_URL: "http://127.0.0.1:4010" })).toEqual({});
  });

  it("fails the deploy on a setting every function would refuse at start", () => {
    expect(() => optionalEnvironment({ IR_LOG_LEVEL: "DEBUG" })).toThrow(/IR_LOG_LEVEL="DEBUG"/);
    expect(() => optionalEnvironment({ IR_PAGERDUTY_EVENTS_URL: "file:///etc/passwd" })).toThrow(/IR_PAGERDUTY_EVENTS_URL/);
  });

  it("parses registered tenant accounts", () => {
    expect(parseAccountIds("")).toEqual([]);
    expect(parseAccountIds(" 222222222222,111111111111\n111111111111 ")).toEqual(["111111111111", "222222222222"]);
    expect(() => parseAccountIds("12345")).toThrow(/"12345" is not a 12-digit AWS account id/);
  });

  it("has an S3 lifecycle rule for each plan's retention tag", () => {
    const rules = lifecycleRules();
    for (const [days, plan] of [[7, "free"], [30, "starter"], [90, "professional"]] as const) {
      const rule = rules.find((r) => r.tag?.value === `${days}d`);
      expect(rule, plan).toMatchObject({ tag: { key: "retention", value: `${days}d` }, expirationDays: days });
    }
    expect(RETENTION_TIERS.some((t) => (t.plans as readonly string[]).includes("enterprise"))).toBe(true);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });
});

/** The names a module exports, read by the TypeScript checker: no module code runs (handlers parse env at load). */
function exportedCallables(files: string[]): Map<string, Map<string, boolean>> {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, Map<string, boolean>>();
  for (const file of files) {
    const sf = program.getSourceFile(file);
    const mod = sf && checker.getSymbolAtLocation(sf);
    const names = new Map<string, boolean>();
    for (const sym of mod ? checker.getExportsOfModule(mod) : []) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      const type = checker.getTypeOfSymbolAtLocation(target, sf as ts.SourceFile);
      names.set(sym.getName(), type.getCallSignatures().length > 0);
    }
    out.set(file, names);
  }
  return out;
}

describe("handler paths", () => {
  const functions = [...plans, HTTP_FUNCTION, RETENTION_FUNCTION].map((f) => ({ name: f.name, handler: f.handler, file: f.handlerFile }));
  const present = functions.filter((f) => existsSync(join(root, f.file)));
  const exportsOf = present.length > 0 ? exportedCallables(present.map((f) => join(root, f.file))) : new Map();

  it.each(functions)("$name: the handler path names the file and its `handler` export", ({ handler, file }) => {
    expect(handler).toBe(`${file.replace(/\.ts$/, "")}.handler`);
  });

  it.for(functions)("$name: $file exists and exports a callable `handler`", ({ file }, ctx) => {
    if (!existsSync(join(root, file))) {
      ctx.skip(`${file} is not written yet (runtime-aws handlers are another task); the export check runs once it exists`);
    }
    const names = exportsOf.get(join(root, file));
    expect(names?.has("handler"), `${file} exports: ${[...(names?.keys() ?? [])].join(", ")}`).toBe(true);
    expect(names?.get("handler"), `${file}: handler is not callable`).toBe(true);
  });
});

describe("secrets reach a function by link, never by its environment", () => {
  const functions: FunctionPlan[] = [...plans, HTTP_FUNCTION, RETENTION_FUNCTION];
  const values: EnvironmentValues<string> = {
    busName: "ir-prod-bus", bucket: "ir-prod-documents", table: "ir-prod-table",
    ingestQueueUrl: "https://sqs.eu-west-1.amazonaws.com/1/ir-prod-ingest", forwardedQueueUrl: "https://sqs.eu-west-1.amazonaws.com/1/ir-prod-ingest-forwarded",
    deadLetterQueueUrl: (stage) => `https://sqs.eu-west-1.amazonaws.com/1/ir-prod-${stage}-dlq`, publicUrl: "https://api.example.com",
  };
  // A deploying shell that has every secret exported (as after `sst shell`): none of it may pass on.
  const shell = { ...Object.fromEntries(Object.values(SECRET_ENV).map((v) => [v, "from-the-shell-0123456789"])), IR_CHAT_MODEL: "gpt-4o" };
  const linkedTo = (secrets: readonly SecretName[]) => Object.fromEntries(secrets.map((s) => [s, { value: s === "PineconeIndexHost" ? "https://idx-abc.svc.pinecone.io" : `linked-${s}-0123456789` }]));

  it("links each function the secrets its handler reads (FUNCTION_SECRETS), the admin key to the HTTP function alone", () => {
    for (const f of functions) expect(f.secrets, f.name).toEqual(FUNCTION_SECRETS[f.name]);
    expect(functions.filter((f) => f.secrets.includes("AdminKey")).map((f) => f.name)).toEqual(["http"]);
    expect(functions.filter((f) => f.secrets.length === 0).map((f) => f.name).sort()).toEqual(["ingest", "notify"]);
  });

  it.each(functions.map((f) => [f.name, f] as const))("%s: its environment holds no secret and names the function", (_name, f) => {
    const env = functionEnvironment(f, values, plans, shell);

    expect(Object.keys(env).filter((k) => (Object.values(SECRET_ENV) as string[]).includes(k))).toEqual([]);
    expect(Object.values(env)).not.toContain("from-the-shell-0123456789");
    expect(env[FUNCTION_ENV]).toBe(f.name);
    expect(env.IR_CHAT_MODEL).toBe("gpt-4o");
  });

  it.each(functions.map((f) => [f.name, f] as const))("%s: the runtime starts from its environment and its linked secrets alone", (_name, f) => {
    const env = functionEnvironment(f, values, plans, {});

    const config = loadConfig(env, linkedTo(f.secrets));

    expect(config.busName).toBe(values.busName);
    expect(config.deadLetterQueueUrls.match).toBe(values.deadLetterQueueUrl("match"));
    if (f.secrets.includes("AdminKey")) expect(config.adminKey).toBe("linked-AdminKey-0123456789");
  });
});
