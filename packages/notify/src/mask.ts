/**
 * Webhook URLs and routing keys are credentials: whoever holds one can post to the channel. The API shows
 * them masked and logs name only a masked target; the last four characters are enough to tell two apart.
 */

import { MASK } from "@ir/core";

export const maskSecret = (secret: string): string => (secret.length <= 8 ? MASK : `${MASK}${secret.slice(-4)}`);

/** Scheme and host stay (which service it is); path, query and credentials are where secrets live. */
export const maskUrl = (raw: string): string => {
  let url: URL;
  try { url = new URL(raw); } catch { return MASK; }
  const rest = `${url.pathname}${url.search}`;
  return `${url.protocol}//${url.host}/${rest.length >= 20 ? `${MASK}${rest.slice(-4)}` : MASK}`;
};
