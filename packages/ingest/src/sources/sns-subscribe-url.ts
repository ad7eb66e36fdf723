import { BadRequest } from "@ir/core";
import { AWS_REGION } from "./alarm-state";

const SNS_HOST = /^sns\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const TOPIC_ARN = /^arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

function reject(why: string): never {
  throw new BadRequest(`SubscribeURL: ${why}`);
}

/**
 * Anyone can POST a "SubscriptionConfirmation" naming any URL; whoever visits it on our behalf would be a
 * server-side request forgery. So only a URL that can be nothing but SNS's own confirm endpoint passes,
 * judged on the parsed URL (never on substrings, which `evil.com/?sns.us-east-1.amazonaws.com` and
 * `sns.us-east-1.amazonaws.com@evil.com` defeat). Returns the URL as parsed, so what is visited is
 * exactly what was checked.
 */
export const checkSubscribeUrl = (raw: string, topicArn: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return reject("not a URL");
  }
  if (url.protocol !== "https:") reject("must be https");
  if (url.username || url.password) reject("must not carry credentials");
  if (url.port) reject("must use the default port");
  const host = SNS_HOST.exec(url.hostname);
  if (!host || !AWS_REGION.test(host[1])) reject("host must be sns.<region>.amazonaws.com");
  const region = host[1];
  // China regions live only under amazonaws.com.cn, and only they do.
  if (region.startsWith("cn-") !== Boolean(host[2])) reject("host does not match its region's domain");
  if (url.pathname !== "/" || url.hash) reject("path must be /");
  const actions = url.searchParams.getAll("Action");
  if (actions.length !== 1 || actions[0] !== "ConfirmSubscription") reject("Action must be ConfirmSubscription");
  if (!url.searchParams.get("Token")) reject("Token is missing");

  const topic = TOPIC_ARN.exec(topicArn);
  if (!topic) throw new BadRequest("TopicArn: expected an SNS topic ARN");
  if (topic[1] !== region) reject("region does not match TopicArn");
  const urlTopics = url.searchParams.getAll("TopicArn");
  if (urlTopics.length > 1 || (urlTopics.length === 1 && urlTopics[0] !== topicArn)) reject("TopicArn does not match the message");
  return url.href;
};
