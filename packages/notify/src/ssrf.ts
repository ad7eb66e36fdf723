import dns, { type LookupAddress, type LookupOptions } from "node:dns";
import { lookup } from "node:dns/promises";
import { BlockList, isIP, type Socket } from "node:net";
import type { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { Poison, RetryLater } from "@ir/core";
import { DEFAULT_RETRY_MS } from "./delivery";

/**
 * Tenants supply the URLs we POST to. In the AWS runtime a URL aimed inside the network (the instance
 * metadata service, a VPC database, localhost) would let any tenant make us reach it, so every address a
 * host resolves to must be public. Checked when the settings are saved and again before each send, since
 * DNS answers change; and, since they can change between that check and the connection (DNS rebinding),
 * once more where the connection is made: see fetchTarget.
 */

const V4: Array<[string, number]> = [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches localhost on Linux
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT; also Alibaba's metadata service
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local: AWS, GCP and Azure metadata at 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and broadcast
];
const V6: Array<[string, number]> = [
  ["::", 128],
  ["::1", 128],
  ["::", 96], // IPv4-compatible (deprecated)
  ["100::", 64], // discard
  ["2001::", 32], // Teredo: tunnels to an IPv4 address we cannot see
  ["2001:db8::", 32],
  ["2002::", 16], // 6to4: embeds an IPv4 address, and is obsolete
  ["fc00::", 7], // unique local; AWS metadata at fd00:ec2::254
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

const blocked = new BlockList();
for (const [net, prefix] of V4) blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of V6) blocked.addSubnet(net, prefix, "ipv6");

const hextets = (address: string): number[] => {
  let a = address.toLowerCase().replace(/%.*$/, "");
  const dotted = a.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (dotted) {
    const [p, q, r, s] = dotted.slice(1).map(Number);
    a = `${a.slice(0, -dotted[0].length)}${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const [head, tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const zeros = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(zeros).fill("0"), ...t].map((x) => parseInt(x, 16));
};

/** NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits: judge that address. */
const nat64Target = (address: string): string | null => {
  const h = hextets(address);
  if (h[0] !== 0x64 || h[1] !== 0xff9b || h.slice(2, 6).some((x) => x !== 0)) return null;
  return [h[6] >> 8, h[6] & 255, h[7] >> 8, h[7] & 255].join(".");
};

/** True for loopback, private, link-local, metadata, multicast and reserved addresses, and for non-addresses. */
export const isPrivateAddress = (address: string): boolean => {
  switch (isIP(address)) {
    case 4: return blocked.check(address, "ipv4");
    case 6: {
      // BlockList already judges IPv4-mapped addresses (::ffff:a.b.c.d) by their IPv4 rules.
      const embedded = nat64Target(address);
      return embedded ? blocked.check(embedded, "ipv4") : blocked.check(address, "ipv6");
    }
    default: return true;
  }
};

export type Resolve = (hostname: string) => Promise<string[]>;

const DNS_TIMEOUT_MS = 5_000;

const systemResolve: Resolve = async (hostname) => {
  const answers = lookup(hostname, { all: true, verbatim: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("DNS lookup timed out")), DNS_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([answers, timeout])).map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
};

export type TargetVerdict = { ok: true } | { ok: false; reason: string; transient: boolean };

/** A URL's hostname as resolvers and isIP take it: an IPv6 literal without its brackets. */
const unbracketed = (hostname: string) => hostname.replace(/^\[(.*)\]$/, "$1");

export const inspectTarget = async (raw: string, allowPrivate: boolean, resolve: Resolve = systemResolve): Promise<TargetVerdict> => {
  let url: URL;
  try { url = new URL(raw); } catch { return { ok: false, reason: "is not a valid URL", transient: false }; }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: `uses ${url.protocol.replace(/:$/, "")}; only http and https are allowed`, transient: false };
  }
  if (allowPrivate) return { ok: true };
  const host = unbracketed(url.hostname);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: `host ${host} does not resolve`, transient: true };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve`, transient: true };
  // Every address, not the first: a resolver may hand the connection any of them.
  const bad = addresses.find(isPrivateAddress);
  if (bad) return { ok: false, reason: `host ${host} is a private, loopback, link-local or metadata address (${bad})`, transient: false };
  return { ok: true };
};

/** The send-time check: a private target can never become deliverable (Poison); a DNS failure may pass (retry). */
export const guardTarget = async (receiver: string, raw: string, allowPrivate: boolean): Promise<void> => {
  const verdict = await inspectTarget(raw, allowPrivate);
  if (verdict.ok) return;
  if (verdict.transient) throw new RetryLater(`${receiver} target ${verdict.reason}`, DEFAULT_RETRY_MS);
  throw new Poison(`${receiver} target refused: ${verdict.reason}`);
};

/** A connection refused because the address it would reach, or reached, is private. */
class PrivateTarget extends Error {
  readonly code = "ERR_PRIVATE_TARGET";
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The connection's own DNS lookup, refusing a host any of whose addresses is private: the connection goes to
 * an address this lookup checked, not to one a second lookup returns.
 */
const publicLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
  // Through the module object, at call time: the same resolver the rest of the process (and its tests) use.
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (addresses.length === 0 || bad) return callback(new PrivateTarget(`host ${hostname} resolves to a private address`), []);
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

const hostKey = (hostname: string) => unbracketed(hostname).toLowerCase();

/** Hosts a connection of this process reached at a private address: their error answers are not repeated. */
const privateHosts = new Set<string>();

/**
 * Checks the peer of every connection made, whatever resolved it (a name, an IP literal, either family),
 * before a byte is sent: refused if private where `refusePrivate`, otherwise its host is remembered as private.
 */
const checkingConnector = (build: typeof buildConnector, refusePrivate: boolean): buildConnector.connector => {
  const connect = build(refusePrivate ? { lookup: publicLookup } : {});
  return (opts, callback) => connect(opts, (err, socket) => {
    if (err) return callback(err, null);
    const peer = (socket as Socket).remoteAddress;
    if (peer === undefined || isPrivateAddress(peer)) {
      if (refusePrivate) {
        socket!.destroy();
        return callback(new PrivateTarget(`host ${opts.hostname} connected to a private address`), null);
      }
      privateHosts.add(hostKey(opts.hostname));
    }
    callback(null, socket!);
  });
};

/**
 * undici is loaded on the first send, not at import: it is half a megabyte, and every function that imports
 * @ir/notify (the HTTP API, retention) would pay for it at cold start without ever sending.
 */
let dispatchers: Promise<{ fetch: typeof undiciFetch; publicOnly: Agent; anywhere: Agent }> | undefined;
const loadDispatchers = () => (dispatchers ??= import("undici").then(({ Agent, buildConnector, fetch }) => ({
  fetch,
  publicOnly: new Agent({ connect: checkingConnector(buildConnector, true) }),
  anywhere: new Agent({ connect: checkingConnector(buildConnector, false) }),
})));

/**
 * fetch for a URL a tenant chose. Where private targets are refused, it connects only to public addresses,
 * checked as the connection is made (guardTarget alone checks one DNS answer, and fetch would ask again).
 * Where they are allowed, the error answer of a private host comes back without its body: a tenant could
 * otherwise read an internal service's answers in its dead letters.
 */
export const fetchTarget = (allowPrivate: boolean) => async (url: string | URL, init: RequestInit = {}): Promise<Response> => {
  const { fetch, publicOnly, anywhere } = await loadDispatchers();
  const res = (await fetch(url, { ...(init as object), dispatcher: allowPrivate ? anywhere : publicOnly })) as unknown as Response;
  if (res.ok || !privateHosts.has(hostKey(new URL(url).hostname))) return bounded(res);
  await res.body?.cancel().catch(() => undefined);
  return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
};

/**
 * What is read of a tenant's endpoint's answer: enough for the excerpt a failure quotes. Read whole (as the Slack
 * client reads every answer), an endpoint streaming gigabytes within the send timeout ran the sender out of memory.
 */
export const MAX_ANSWER_BYTES = 4096;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function bounded(res: Response): Response {
  if (!res.body || NULL_BODY.has(res.status)) return res;
  const reader = res.body.getReader();
  let left = MAX_ANSWER_BYTES;
  const body = new ReadableStream<Uint8Array>({
    async pull(out) {
      const { done, value } = await reader.read();
      if (done) { out.close(); return; }
      const chunk = value.byteLength > left ? value.subarray(0, left) : value;
      left -= chunk.byteLength;
      out.enqueue(chunk);
      if (left > 0) return;
      out.close();
      await reader.cancel().catch(() => undefined);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
