import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { connect } from "node:net";
import { ADMIN_KEY, startServer, type Client } from "../support/embedded";
import { startReceiver, type HttpReceiver } from "../../packages/notify/test/http-receiver";

/**
 * Property-based fuzzing of the whole HTTP contract against a real embedded server: generated hostile
 * methods, paths, queries, headers and bodies from tenant B (and from nobody, from garbage keys, from the
 * admin). Properties: never a 5xx, never a dropped connection on a well-formed request, never a byte of
 * tenant A's data that B did not itself send, the process keeps answering, Object.prototype stays clean.
 * Seeds are fixed so a failure replays; the counts are printed for the record.
 */
/** FUZZ_SEED replays or explores another sequence; the default is what the suite runs. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_310_801);
const HTTP_RUNS = 3_000;
const RAW_RUNS = 400;

interface FuzzRequest { method: string; path: string; headers: Record<string, string>; body?: string; route: string }

/** Route templates: the OpenAPI document's plus the ones it does not describe. `{x}` is a path parameter. */
const EXTRA_ROUTES: Array<[string, string]> = [
  ["GET", "/dashboard"], ["GET", "/openapi.json"], ["POST", "/api/v1/dlq/{id}/replay"], ["GET", "/api/v1/runbooks/suggestions"],
  ["POST", "/api/v1/runbooks/suggestions/{id}/accept"], ["GET", "/api/v1/audit/{id}"], ["PATCH", "/api/v1/incidents/{incident_id}"],
];

const HOSTILE_SEGMENTS = [
  "..", ".", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%2F", "%00", "%ff", "%", "%zz", "%C0%AF", "%E2%80%AE", "ünïcødé", "%F0%9F%98%80", "😀",
  "a".repeat(300), "'%20OR%201%3D1--", "inc_*", "__proto__", "constructor", "prototype", "%5Cwindows%5Csystem32", "null", "undefined", "-1", "1e309",
];

/** Strings a hostile client likes: control characters, bidi overrides, JSON look-alikes, prototype keys, huge text. */
const nasty = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom("", " ", "\u0000", "\r\n", "\n{\"level\":60}", "\u202e", "\ud800", "__proto__", "constructor", "<script>alert(1)</script>", "${7*7}", "../../etc/passwd", "x".repeat(20_000)),
);
const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.1, 2 ** 64, -1, 4.9e-324);
const severity = fc.oneof(fc.constantFrom("LOW", "MEDIUM", "HIGH", "CRITICAL"), nasty, hugeNumber);
const metadata = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty"), fc.string({ maxLength: 10 })), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const alarmReport = fc.record({ error: nasty, service: nasty, severity, metadata, occurred_at: fc.oneof(fc.constantFrom("2031-01-01T00:00:00Z", "not a date", "9999-99-99T99:99:99Z", ""), hugeNumber) }, { requiredKeys: [] });
const validReport = fc.record({ error: fc.string({ unit: "binary", minLength: 1, maxLength: 200 }).filter((s) => s.trim().length > 0), service: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), severity: fc.constantFrom("LOW", "MEDIUM", "HIGH", "CRITICAL") }, { requiredKeys: ["error", "service"] });
const alert = fc.record({
  status: fc.oneof(fc.constantFrom("firing", "resolved"), nasty), labels: fc.oneof(fc.dictionary(fc.constantFrom("alertname", "service", "job", "namespace", "severity", "__proto__"), nasty, { maxKeys: 5 }), fc.jsonValue({ maxDepth: 2 })),
  annotations: fc.dictionary(fc.constantFrom("summary", "description", "message", "__proto__"), nasty, { maxKeys: 3 }), startsAt: fc.oneof(fc.constant("2031-01-01T00:00:00Z"), nasty), endsAt: fc.oneof(fc.constant("0001-01-01T00:00:00Z"), nasty),
  fingerprint: nasty, generatorURL: nasty,
}, { requiredKeys: [] });
const alertmanager = fc.record({ version: fc.oneof(fc.constant("4"), nasty, hugeNumber), status: nasty, alerts: fc.oneof(fc.array(alert, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), groupKey: nasty, receiver: nasty }, { requiredKeys: [] });
const cloudwatchEvent = fc.record({
  version: fc.constant("0"), "detail-type": fc.oneof(fc.constant("CloudWatch Alarm State Change"), nasty), source: fc.oneof(fc.constant("aws.cloudwatch"), nasty),
  account: fc.oneof(fc.constant("123456789012"), nasty), region: fc.oneof(fc.constant("us-east-1"), nasty), time: fc.oneof(fc.constant("2031-01-01T00:00:00Z"), nasty), resources: fc.array(nasty, { maxLength: 3 }),
  detail: fc.record({ alarmName: nasty, state: fc.record({ value: fc.oneof(fc.constantFrom("ALARM", "OK", "INSUFFICIENT_DATA"), nasty), reason: nasty, reasonData: fc.oneof(nasty, fc.constant('{"a":'.repeat(5_000) + "1" + "}".repeat(5_000))), timestamp: nasty }, { requiredKeys: [] }), configuration: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }),
}, { requiredKeys: [] });
const sns = fc.record({
  Type: fc.oneof(fc.constantFrom("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"), nasty), MessageId: nasty, TopicArn: nasty,
  // Never a well-formed AWS SubscribeURL: confirming one would call out to the network.
  SubscribeURL: fc.constantFrom("http://169.254.169.254/latest/meta-data/", "https://evil.example/sns", "file:///etc/passwd", "https://sns.us-east-1.amazonaws.com.evil.example/"),
  Message: fc.oneof(nasty, cloudwatchEvent.map((e) => JSON.stringify(e)), fc.constant("[".repeat(10_000) + "]".repeat(10_000))), Timestamp: nasty,
}, { requiredKeys: [] });

function bodies(ctx: { hookUrl: string }) {
  const safeUrl = fc.constantFrom(`${ctx.hookUrl}/fuzz`, "http://169.254.169.254/latest", "file:///etc/passwd", "javascript:alert(1)", "http://[::1", "gopher://x", "not a url", `${ctx.hookUrl}/%0d%0aX-Injected:1`);
  const channel = fc.oneof(
    fc.record({ type: fc.constant("slack"), webhook_url: safeUrl }),
    fc.record({ type: fc.constant("pagerduty"), routing_key: fc.oneof(fc.string({ maxLength: 70 }), nasty) }),
    fc.record({ type: fc.constant("webhook"), url: safeUrl, secret: fc.option(fc.string({ minLength: 10, maxLength: 30 }), { nil: undefined }) }),
    fc.record({ type: nasty }),
  );
  // Deep enough to overflow a recursive validator or serializer (tens of thousands of levels fit in 256 KB).
  const depth = fc.oneof(fc.integer({ min: 65, max: 2_000 }), fc.integer({ min: 5_000, max: 60_000 }));
  const deep = fc.tuple(depth, fc.constantFrom("array", "object", "metadata", "labels")).map(([d, kind]) => {
    const nest = (open: string, inner: string, close: string) => open.repeat(d) + inner + close.repeat(d);
    if (kind === "array") return nest("[", "", "]");
    if (kind === "object") return nest('{"a":', "1", "}");
    if (kind === "metadata") return `{"error":"x","service":"s","metadata":${nest('{"a":', "1", "}")}}`;
    return `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"x"},"annotations":{"summary":"s"},"startsAt":"2031-01-01T00:00:00Z","x":${nest("[", "", "]")}}]}`;
  });
  const json = (a: fc.Arbitrary<unknown>) => a.map((v) => JSON.stringify(v));
  const runbook = json(fc.record({ title: nasty, content: nasty, tags: fc.oneof(fc.array(nasty, { maxLength: 3 }), nasty) }, { requiredKeys: [] }));
  const settings = json(fc.record({ channels: fc.oneof(fc.array(channel, { maxLength: 3 }), nasty), min_severity: severity }, { requiredKeys: [] }));
  const fields = json(fc.record({ label: nasty, overlap_seconds: fc.oneof(hugeNumber, fc.integer()), resolution: nasty, resolved_by: nasty, runbook_id: nasty, user: nasty, comment: nasty, name: nasty, plan: nasty, retention_days: hugeNumber, global_runbooks: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }));
  const generic = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: json(fc.jsonValue({ maxDepth: 4 })) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    { weight: 2, arbitrary: deep },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"polluted":1},"error":"x","service":"y"}', '{"constructor":{"prototype":{"polluted":1}},"title":"t","content":"c"}', '{"error":"x","service":"y","occurred_at":1e999}', '{"overlap_seconds":1e400}', '{"label":123456789012345678901234567890}', "[]", "null", "0", '""', "{}", '{"a":1,"a":2}', "\ufeff{}") },
    { weight: 2, arbitrary: json(alarmReport) },
    { weight: 1, arbitrary: json(alertmanager) },
    { weight: 1, arbitrary: json(fc.oneof(cloudwatchEvent, sns)) },
    { weight: 1, arbitrary: fields },
  );
  /** The body a route expects, made hostile: most requests carry the right shape, so they get past the first check. */
  const family = (method: string, path: string): fc.Arbitrary<string | undefined> => {
    if (method === "POST" && path === "/api/v1/incidents") return fc.oneof(json(alarmReport), json(validReport), { weight: 2, arbitrary: deep });
    if (path === "/api/v1/ingest/alertmanager") return fc.oneof(json(alertmanager), deep);
    if (path === "/api/v1/ingest/cloudwatch") return json(fc.oneof(cloudwatchEvent, sns));
    if (path.startsWith("/api/v1/runbooks") && (method === "POST" || method === "PUT")) return runbook;
    if (path === "/api/v1/notifications") return settings;
    return fields;
  };
  return (method: string, path: string) => fc.oneof({ weight: 3, arbitrary: family(method, path) }, { weight: 2, arbitrary: generic });
}

const headerValue = fc.stringMatching(/^[\x21-\x7e]{0,120}$/);

describe("fuzzing the HTTP API (fast-check)", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let hook: HttpReceiver;
  let a: { tenant_id: string; api_key: string; client: Client };
  let b: { tenant_id: string; api_key: string; client: Client };
  /** Tenant A's ids and text: none may reach B unless B sent it first. */
  const secretsOfA: string[] = [];
  const idsOfB: string[] = [];
  const routes: Array<[string, string]> = [];
  const counts = { http: 0, raw: 0, byClass: {} as Record<string, number>, byRoute: {} as Record<string, number>, rawByOutcome: {} as Record<string, number>, rawAnsweredByApi: 0, leaks: 0, fiveHundreds: 0 };

  beforeAll(async () => {
    hook = await startReceiver();
    srv = await startServer(undefined, { IR_PAGERDUTY_EVENTS_URL: `${hook.url}/pd` });
    a = await srv.client.tenant("alpha", { plan: "professional" });
    b = await srv.client.tenant("bravo", { plan: "enterprise" });
    const ra = await a.client.report("ALPHA-PRIVATE disk controller fault on shelf 3", "alpha-storage");
    const ra2 = await a.client.report("ALPHA-PRIVATE replication lag on db-alpha", "alpha-db");
    await a.client.req("POST", `/api/v1/incidents/${ra.body.incident_id}/comments`, { user: "alpha@a.io", comment: "ALPHA-PRIVATE-COMMENT" });
    const rba = await a.client.req("POST", "/api/v1/runbooks", { title: "ALPHA-PRIVATE-RUNBOOK", content: "alpha only" });
    const ka = await a.client.req("POST", "/api/v1/keys", { label: "ALPHA-PRIVATE-LABEL" });
    secretsOfA.push(a.tenant_id, a.api_key, ra.body.incident_id, ra.body.alarm_id, ra2.body.incident_id, ra2.body.alarm_id, rba.body.runbook_id, ka.body.key_id, ka.body.api_key, "ALPHA-PRIVATE", "alpha-storage", "alpha@a.io");
    const audit = (await a.client.req("GET", "/api/v1/audit")).body.events as Array<{ event_id: string }>;
    secretsOfA.push(...audit.map((e) => e.event_id));

    const rb1 = await b.client.report("bravo cache miss storm on node 4", "bravo-cache");
    const rbb = await b.client.req("POST", "/api/v1/runbooks", { title: "bravo runbook", content: "bravo" });
    idsOfB.push(rb1.body.incident_id, rb1.body.alarm_id, rbb.body.runbook_id);

    const doc = (await srv.client.req("GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    for (const [path, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) routes.push([m.toUpperCase(), path]);
    routes.push(...EXTRA_ROUTES);
  });

  afterAll(async () => {
    console.log(`[fuzz] seed ${SEED}: ${counts.http} generated HTTP requests over ${Object.keys(counts.byRoute).length} route templates, ${counts.raw} raw-socket requests (${counts.rawAnsweredByApi} answered by the API); ` +
      `5xx: ${counts.fiveHundreds}, cross-tenant leaks: ${counts.leaks}\n[fuzz] HTTP status classes: ${JSON.stringify(counts.byClass)}\n[fuzz] raw outcomes: ${JSON.stringify(counts.rawByOutcome)}`);
    await srv.pump.idle();
    await srv.stop();
    await hook.close();
  });

  /** Everything B (or whoever) may send: the routes, with parameters and queries from every corner. */
  const request = () => {
    // Never tenant B's own erase: the rest of the run needs B.
    const all = routes.filter(([m, p]) => !(m === "DELETE" && p === "/api/v1/tenant"));
    // Ingest takes the most untrusted input (bodies from other systems), so it gets a larger share.
    const ingest = all.filter(([m, p]) => m === "POST" && (p === "/api/v1/incidents" || p.startsWith("/api/v1/ingest/")));
    const route = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...ingest) }, { weight: 3, arbitrary: fc.constantFrom(...all) });
    const param = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...secretsOfA.filter((s) => /^(inc|alm|rb|key|aud|t)_/.test(s))) },
      { weight: 2, arbitrary: fc.constantFrom(...idsOfB) },
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
      { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponent) },
    );
    const method = fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "X-FUZZ") });
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom("wait", "limit", "cursor", "status", "service", "from", "to"), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom("0", "1", "30", "31", "-1", "NaN", "1e309", "500", "501", "open", "RESOLVED", "2031-01-01", "garbage", "%", ""), fc.string({ unit: "binary", maxLength: 20 }))), { maxLength: 3 })
      // A long wait on a valid report is answered as soon as it is decided; on anything else it is refused at once.
      .map((pairs) => pairs.map(([k, v]) => (k === "wait" && Number(v) > 2 ? [k, "2"] : [k, v])));
    const auth = fc.oneof(
      { weight: 8, arbitrary: fc.constant({ "x-api-key": "B" }) }, { weight: 2, arbitrary: fc.constant({ authorization: "Bearer B" }) }, { weight: 1, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: headerValue.map((k) => ({ "x-api-key": k || "x" })) }, { weight: 1, arbitrary: fc.constant({ "x-admin-key": ADMIN_KEY }) },
      { weight: 1, arbitrary: fc.constantFrom({ "x-api-key": "k".repeat(8000) }, { authorization: "Bearer" }, { authorization: "Basic Og==" }, { "x-api-key": "A-TENANT-ID" }) },
    );
    const extra = fc.record({
      "idempotency-key": headerValue, "content-type": fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16"),
      "x-request-id": headerValue, "x-forwarded-for": headerValue, accept: headerValue,
    }, { requiredKeys: [] });
    const bodyFor = bodies({ hookUrl: hook.url });
    const routeAndBody = route.chain(([m, p]) => bodyFor(m, p).map((body) => [m, p, body] as const));
    return fc.tuple(routeAndBody, fc.array(param, { minLength: 4, maxLength: 4 }), method, query, auth, extra).map(([[m, p, body], params, override, q, au, ex]): FuzzRequest => {
      let i = 0;
      const path = p.replace(/\{[^}]+\}/g, () => params[i++]);
      const qs = q.length ? `?${q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}` : "";
      const headers: Record<string, string> = { ...ex };
      for (const [k, v] of Object.entries(au)) headers[k] = v === "B" ? b.api_key : v === "Bearer B" ? `Bearer ${b.api_key}` : v === "A-TENANT-ID" ? a.tenant_id : v;
      const method = override ?? m;
      return { method, path: path + qs, headers, body: method === "GET" || method === "HEAD" ? undefined : body, route: `${m} ${p}` };
    });
  };

  it(`answers ${HTTP_RUNS} generated requests without a 5xx or a byte of another tenant's data`, async () => {
    await fc.assert(
      fc.asyncProperty(request(), async (r) => {
        counts.http++;
        counts.byRoute[r.route] = (counts.byRoute[r.route] ?? 0) + 1;
        const res = await fetch(srv.url + r.path, { method: r.method, headers: r.headers, body: r.body });
        const text = await res.text();
        const cls = `${String(res.status)[0]}xx`;
        counts.byClass[cls] = (counts.byClass[cls] ?? 0) + 1;
        if (res.status >= 500) counts.fiveHundreds++;
        expect(res.status, `${r.method} ${r.path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
        // What B sent may come back (a 404 names the path); anything else of A's may not.
        const sent = `${r.path} ${decodeSafe(r.path)} ${r.body ?? ""} ${JSON.stringify(r.headers)}`;
        const leaked = secretsOfA.filter((s) => text.includes(s) && !sent.includes(s));
        if (leaked.length) counts.leaks++;
        expect(leaked, `${r.method} ${r.path} returned tenant A's ${leaked.join(", ")}`).toEqual([]);
        // Every refusal from the API is the one JSON error shape (node:http itself answers unparseable requests with a bare 400).
        if (res.status >= 400 && text) expect(JSON.parse(text).error.code, text.slice(0, 200)).toEqual(expect.any(String));
      }),
      { seed: SEED, numRuns: HTTP_RUNS, endOnFailure: true },
    );
  }, 120_000);

  it(`survives ${RAW_RUNS} malformed requests on a raw socket (CRLF in headers, bad framing, junk request lines)`, async () => {
    const crlf = fc.constantFrom("ok\r\nX-Injected: 1", "ok\nX-Injected: 1", "ok\rX-Injected: 1", "ok\u0000X", "\r\n\r\nGET /healthz HTTP/1.1", "é", "\u00ff\u00fe");
    // Mostly well-formed request lines, so the hostile headers and bodies reach the API; some junk ones too.
    const line = fc.oneof(
      {
        weight: 3, arbitrary: fc.tuple(fc.constantFrom("GET", "POST", "PUT", "DELETE"), fc.constantFrom("/api/v1/incidents", "/api/v1/incidents?wait=1", "/api/v1/keys", "/api/v1/audit", "/healthz", "/api/v1/ingest/alertmanager", "//../../etc/passwd", "/api/v1/incidents/%00"), fc.constant("HTTP/1.1"))
          .map((parts) => ({ parts, wellFormed: true })),
      },
      {
        weight: 1, arbitrary: fc.tuple(
          fc.oneof(fc.constantFrom("GET", "POST", "get", "G E T", "", "\u00ff"), fc.stringMatching(/^[A-Z]{1,10}$/)),
          fc.oneof(fc.constantFrom("/api/v1/incidents", "*", "http://evil/", "/\r\n", "/ /", "/api/v1/" + "a".repeat(20_000)), fc.string({ unit: "binary-ascii", maxLength: 40 })),
          fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1 extra", "", "FTP/1.0"),
        ).map((parts) => ({ parts, wellFormed: false })),
      },
    );
    const header = fc.oneof(
      fc.tuple(fc.constantFrom("X-Api-Key", "Idempotency-Key", "X-Request-Id", "Content-Type", "Authorization"), crlf),
      fc.tuple(fc.constantFrom("Bad Header", "X:Y", "", "\u0000", "Content-Length", "Transfer-Encoding"), fc.oneof(fc.constantFrom("-1", "1e3", "chunked", "gzip, chunked", "99999999999999999999", "0x10"), headerValue)),
    );
    const raw = fc.tuple(line, fc.array(header, { maxLength: 4 }), fc.boolean(), fc.oneof(fc.constant(""), fc.constant('{"error":"x","service":"y"}'), fc.constant("zz\r\nnot-a-chunk\r\n0\r\n\r\n"), fc.string({ unit: "binary-ascii", maxLength: 100 })))
      .map(([{ parts: [method, target, version], wellFormed }, headers, host, body]) => {
        const head = [`${method} ${target} ${version}`, ...(host ? ["Host: 127.0.0.1"] : []), `X-Api-Key: ${b.api_key}`, ...headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close"];
        return { bytes: `${head.join("\r\n")}\r\n\r\n${body}`, wellFormed };
      });
    await fc.assert(
      fc.asyncProperty(raw, async ({ bytes, wellFormed }) => {
        counts.raw++;
        const out = await rawRequest(srv.port, bytes);
        const key = out.status === null ? out.reason : `${String(out.status)[0]}xx`;
        counts.rawByOutcome[key] = (counts.rawByOutcome[key] ?? 0) + 1;
        if (out.status !== null && out.status >= 500) counts.fiveHundreds++;
        // A request line the server can parse is answered, if only with a 400 for its headers; only junk may lose its connection.
        if (wellFormed) expect(out.status, `${out.reason}: ${bytes.slice(0, 200)}`).not.toBeNull();
        if (out.status === null) return;
        if (/\r\nx-request-id:/i.test(out.head)) counts.rawAnsweredByApi++;
        expect(out.status, bytes.slice(0, 200)).toBeLessThan(500);
        // Nothing we put in a header value comes back as a header of its own.
        expect(out.head, bytes.slice(0, 200)).not.toMatch(/\r\nX-Injected:/i);
      }),
      { seed: SEED, numRuns: RAW_RUNS, endOnFailure: true },
    );
    // node:http answers most of these itself (400); the rest must have reached the API and come back from it.
    expect(counts.rawAnsweredByApi).toBeGreaterThan(0);
  }, 120_000);

  it("still answers, A's data is intact, and no prototype was polluted", async () => {
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    const incidents = (await a.client.req("GET", "/api/v1/incidents")).body.incidents as Array<{ incident_id: string; error_message: string; status: string }>;
    expect(incidents.map((i) => i.error_message).sort()).toEqual(["ALPHA-PRIVATE disk controller fault on shelf 3", "ALPHA-PRIVATE replication lag on db-alpha"]);
    expect(incidents.every((i) => i.status === "OPEN")).toBe(true);
    expect((await a.client.req("GET", `/api/v1/runbooks/${secretsOfA[6]}`)).body.title).toBe("ALPHA-PRIVATE-RUNBOOK");
    expect((await a.client.as(secretsOfA[8]).req("GET", "/api/v1/usage")).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(counts.http).toBe(HTTP_RUNS);
    expect(counts.raw).toBe(RAW_RUNS);
  });
});

const decodeSafe = (s: string) => { try { return decodeURIComponent(s); } catch { return s; } };

/** One request on a fresh TCP connection; the status from the first response line, or why there was none. */
function rawRequest(port: number, bytes: string): Promise<{ status: number | null; head: string; reason: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const done = (reason: string) => {
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : null, head: data.split("\r\n\r\n")[0], reason });
    };
    // Only a hang gets this far: an answer takes milliseconds, a slow, loaded machine's a few seconds.
    socket.setTimeout(30_000, () => done("timeout"));
    socket.on("data", (c) => { data += c.toString("latin1"); if (data.includes("\r\n\r\n")) done("answered"); });
    socket.on("end", () => done(data ? "answered" : "closed"));
    socket.on("error", () => done(data ? "answered" : "reset"));
    // Not end(): node:http drops a request it has not answered yet when the client half-closes, so every request
    // that reached the API lost its connection unanswered.
    socket.write(Buffer.from(bytes, "latin1"));
  });
}
