import type {
  Clock, Incident, KvStore, Logger, NotificationChannel, NotificationSettings, Ports, RuntimeSettings, Tenant,
} from "@ir/core";

/** Only the ports notify uses are faked; touching any other fails the test loudly. */

export class FakeClock implements Clock {
  constructor(public ms = Date.parse("2024-02-12T10:30:00Z")) {}
  now() { return new Date(this.ms); }
  advance(ms: number) { this.ms += ms; }
  advanceMinutes(minutes: number) { this.ms += minutes * 60_000; }
}

export interface LogRecord { level: "info" | "warn" | "error" | "debug"; obj: object; msg?: string }

const recordingLogger = (records: LogRecord[], bindings: object = {}): Logger => {
  const at = (level: LogRecord["level"]) => (obj: object, msg?: string) => { records.push({ level, obj: { ...bindings, ...obj }, msg }); };
  return { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug"), child: (b) => recordingLogger(records, { ...bindings, ...b }) };
};

/** A port with only `impl`'s members; any other member throws, naming itself. */
const only = <T extends object>(name: string, impl: Partial<T> = {}): T =>
  new Proxy(impl as T, {
    get: (target, prop) => {
      if (prop in target) return (target as Record<PropertyKey, unknown>)[prop];
      throw new Error(`notify must not use ports.${name}.${String(prop)}`);
    },
  });

export const TENANT_ID = "tenant_1";
export const WEBHOOK_SECRET = "whsec_tenant_0123456789abcdef";

export const tenant = (notifications: NotificationSettings, overrides: Partial<Tenant> = {}): Tenant => ({
  tenant_id: TENANT_ID,
  name: "Acme",
  plan: "enterprise",
  created_at: "2024-01-01T00:00:00Z",
  settings: {
    global_runbooks: true,
    notifications,
    webhook_secret: WEBHOOK_SECRET,
    auto_resolve: true,
    default_severity: "MEDIUM",
    cloudwatch_service_from: ["tag"],
    aws_account_ids: [],
  },
  ...overrides,
});

export const incident = (overrides: Partial<Incident> = {}): Incident => ({
  incident_id: "inc_1",
  tenant_id: TENANT_ID,
  error_message: "Lambda function timeout after 30 seconds\n  at handler (index.js:12)",
  service: "payment-processor",
  severity: "HIGH",
  status: "OPEN",
  runbook_matched: true,
  runbook_similarity: 0.89,
  recommended_runbooks: [
    { runbook_id: "rb_timeout", title: "Lambda Timeout", similarity: 0.89, solution: "Increase the timeout to 60s and check downstream latency." },
    { runbook_id: "rb_cold", title: "Cold starts", similarity: 0.61, solution: "Enable provisioned concurrency." },
  ],
  recommendations: [{ text: "Raise the function timeout and add a circuit breaker around the payment gateway call.", source: "runbook", runbook_id: "rb_timeout" }],
  similar_resolutions: [],
  related_incidents: [],
  created_at: "2024-02-12T10:30:00Z",
  last_seen: "2024-02-12T10:30:00Z",
  occurrences: 1,
  history: [{ timestamp: "2024-02-12T10:30:00Z", event: "created", user: "system" }],
  resolution: null,
  resolved_at: null,
  resolved_by: null,
  resolved_runbook_id: null,
  regression_of: null,
  fingerprint: "fp_1",
  template: "Lambda function timeout after <*> seconds",
  source_keys: [],
  flapping: false,
  ...overrides,
});

export interface FakePorts extends Ports {
  clock: FakeClock;
  logs: LogRecord[];
  /** Replace (or add) the stored incident, as match would. */
  putIncident(incident: Incident): void;
  setChannels(channels: NotificationChannel[], min_severity?: NotificationSettings["min_severity"]): void;
}

export const fakePorts = (opts: { tenant?: Tenant | null; incidents?: Incident[]; settings?: Partial<RuntimeSettings> } = {}): FakePorts => {
  const clock = new FakeClock();
  const logs: LogRecord[] = [];
  let theTenant = opts.tenant === undefined ? tenant({ channels: [] }) : opts.tenant;
  const incidents = new Map<string, Incident>((opts.incidents ?? []).map((i) => [`${i.tenant_id}/${i.incident_id}`, i]));
  const kvData = new Map<string, string>();
  let ids = 0;

  // Stored as JSON, like both real stores, so state that does not survive serialization fails here first.
  const kv: KvStore = {
    get: async <T>(tenantId: string, key: string) => {
      const raw = kvData.get(`${tenantId}/${key}`);
      return raw === undefined ? null : (JSON.parse(raw) as T);
    },
    put: async (tenantId, key, value) => { kvData.set(`${tenantId}/${key}`, JSON.stringify(value)); },
    // Atomic like both real stores: no await between the read and the write.
    update: async <T>(tenantId: string, key: string, fn: (current: T | null) => T | undefined) => {
      const raw = kvData.get(`${tenantId}/${key}`);
      const current = raw === undefined ? null : (JSON.parse(raw) as T);
      const next = fn(current);
      if (next === undefined) return current;
      kvData.set(`${tenantId}/${key}`, JSON.stringify(next));
      return next;
    },
  };

  return {
    clock,
    logs,
    newId: (prefix) => `${prefix}_${++ids}`,
    log: recordingLogger(logs),
    tenants: only<Ports["tenants"]>("tenants", {
      get: async (tenantId) => (theTenant && theTenant.tenant_id === tenantId ? structuredClone(theTenant) : null),
    }),
    incidents: only<Ports["incidents"]>("incidents", {
      get: async (tenantId, incidentId) => structuredClone(incidents.get(`${tenantId}/${incidentId}`) ?? null),
    }),
    kv,
    settings: { publicUrl: "https://ir.example.com", pagerdutyEventsUrl: "http://127.0.0.1:9/v2/enqueue", allowPrivateTargets: true, ...opts.settings },
    runbooks: only("runbooks"),
    alarms: only("alarms"),
    vectors: only("vectors"),
    embedder: only("embedder"),
    writer: only("writer"),
    audit: only("audit"),
    usage: only("usage"),
    bus: only("bus"),
    deadLetters: only("deadLetters"),
    eraser: only("eraser"),
    putIncident: (i) => { incidents.set(`${i.tenant_id}/${i.incident_id}`, structuredClone(i)); },
    setChannels: (channels, min_severity) => {
      if (!theTenant) throw new Error("no tenant");
      theTenant = { ...theTenant, settings: { ...theTenant.settings, notifications: { channels, ...(min_severity ? { min_severity } : {}) } } };
    },
  };
};
