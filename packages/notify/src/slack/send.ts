import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type IncomingWebhookSendArguments } from "@slack/webhook";
import type { ChannelOf, Delivery } from "../receiver";
import { SEND_TIMEOUT_MS, settle, unreachable } from "../delivery";
import { fetchTarget, guardTarget } from "../ssrf";

export const sendSlack = async ({ channel, payload, ports }: Delivery<ChannelOf<"slack">>): Promise<void> => {
  if (!ports.settings.allowPrivateTargets) await guardTarget("slack", channel.webhook_url, false);
  // IncomingWebhookHTTPError carries status and body but not headers; Retry-After is read on the way through.
  let retryAfter: string | null = null;
  const webhook = new IncomingWebhook(channel.webhook_url, {
    timeout: SEND_TIMEOUT_MS,
    fetch: async (url, init) => {
      // The client asks for redirect "error", which fails like a network error (retried for hours). As with
      // the other receivers, a redirect is not followed (it could point inside) but answered: a 3xx is
      // dead-lettered at once, naming it.
      const res = await fetchTarget(ports.settings.allowPrivateTargets)(url, { ...init, redirect: "manual" });
      retryAfter = res.headers.get("retry-after");
      return res;
    },
  });
  try {
    await webhook.send(payload as IncomingWebhookSendArguments);
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError) {
      settle("slack", { status: err.statusCode, retryAfter, body: err.body }, ports.clock.now());
    }
    if (err instanceof IncomingWebhookRequestError) throw unreachable("slack", err.original);
    throw err;
  }
};
