/**
 * What a random draw looks like when it has no digit, which mask (on raw text) and template matching (on masked
 * text) must agree on. Kubernetes draws pod suffixes (5) and pod-template hashes (up to 10) from
 * `bcdfghjklmnpqrstvwxz2456789`: no vowels, no y, so without a digit such a run is no word, but for a few.
 */
export const KUBERNETES_LETTERS = "bcdfghjklmnpqrstvwxz";
export const KUBERNETES_DIGITS = "2456789";
const DRAWN = new RegExp(`^[${KUBERNETES_LETTERS}]{5,10}$`);
/** Words made of those letters that do appear in messages (force-https). */
const CONSONANT_WORDS = new Set(["https", "xhtml", "pgsql", "xmlns"]);
const HEX_LETTERS = /^[a-f]{4,16}$/;

/** A run of letters that Kubernetes drew: a pod's suffix or its ReplicaSet's hash (fluentd-xkzqp, web-bcdfghjkl-…). */
export const isKubernetesDraw = (run: string): boolean => DRAWN.test(run) && !CONSONANT_WORDS.has(run);

/** Letters standing where an identifier has a value: such a draw, or hex letters (pod web-bcaaa, build deadbeef). */
export const looksDrawn = (run: string): boolean => HEX_LETTERS.test(run) || isKubernetesDraw(run);
