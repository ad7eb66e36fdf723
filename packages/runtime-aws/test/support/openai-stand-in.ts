import { createHash } from "node:crypto";
import { jsonServer } from "./emulators";

/** A deterministic stand-in for an embedding model: hashed words and their trigrams, so similar texts score close. */
export const fakeEmbedding = (text: string, dims: number): Float32Array => {
  const v = new Float32Array(dims);
  const add = (feature: string, weight: number) => {
    const h = createHash("md5").update(feature).digest();
    v[h.readUInt32LE(0) % dims] += (h[4] & 1 ? 1 : -1) * weight;
  };
  // Words and their character trigrams, order-free: like a real model, word order barely moves the vector.
  for (const w of text.toLowerCase().split(/[^a-z0-9_<>*]+/).filter(Boolean)) {
    add(`w:${w}`, 2);
    const padded = ` ${w} `;
    for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 1);
  }
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < dims; i++) v[i] /= n;
  return v;
};

/**
 * Tokens as OpenAI's tokenizers count English text, roughly: about four characters per token (OpenAI's own
 * rule of thumb). The stand-in reports these in `usage`, so cost estimates read it as they would the real API's.
 */
export const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * OpenAI's `/embeddings` (answered in base64 when asked, as the adapter asks) and `/chat/completions`
 * (a structured-output answer built from the prompt: the first runbook offered, as the model would).
 * `failChat` / `rateLimitEmbeddings` make the next calls fail like the real API does.
 */
export async function startOpenAiStandIn(opts: { dimensions: number }) {
  const calls = { embeddings: 0, embeddedTexts: 0, chat: 0, embeddingTokens: 0, chatInputTokens: 0, chatOutputTokens: 0 };
  const state = { failChat: 0, rateLimitEmbeddings: 0, chatContent: undefined as string | undefined };
  const bodies: any[] = [];
  const server = await jsonServer((method, path, body) => {
    if (method === "POST" && path === "/embeddings") {
      if (state.rateLimitEmbeddings > 0) { state.rateLimitEmbeddings--; return [429, { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }, { "retry-after-ms": "1500" }]; }
      calls.embeddings++;
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      calls.embeddedTexts += inputs.length;
      const tokens = inputs.reduce((n, text) => n + estimateTokens(text), 0);
      calls.embeddingTokens += tokens;
      return [200, {
        object: "list", model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens },
        data: inputs.map((text, index) => {
          const v = fakeEmbedding(text, opts.dimensions);
          return { object: "embedding", index, embedding: body.encoding_format === "base64" ? Buffer.from(v.buffer).toString("base64") : Array.from(v) };
        }),
      }];
    }
    if (method === "POST" && path === "/chat/completions") {
      calls.chat++;
      bodies.push(body);
      if (state.failChat > 0) { state.failChat--; return [500, { error: { message: "The server had an error", type: "server_error" } }]; }
      const prompt = JSON.parse(body.messages.at(-1).content);
      const first = prompt.runbooks?.[0];
      const content = state.chatContent ?? JSON.stringify({
        recommendations: [
          ...(first ? [{ text: `Follow "${first.title}" first.`, source: "runbook", runbook_id: first.runbook_id, incident_id: null }] : []),
          { text: `Check recent deploys of ${prompt.incident.service}.`, source: "llm", runbook_id: null, incident_id: null },
          { text: "Invented step", source: "runbook", runbook_id: "rb_made_up", incident_id: null },
        ],
      });
      // Each message costs its text plus a few tokens of chat framing; the structured-output schema counts as prompt too.
      const promptTokens = body.messages.reduce((n: number, m: { content: string }) => n + 4 + estimateTokens(String(m.content)), 3)
        + (body.response_format ? estimateTokens(JSON.stringify(body.response_format)) : 0);
      const completionTokens = estimateTokens(content);
      calls.chatInputTokens += promptTokens;
      calls.chatOutputTokens += completionTokens;
      return [200, {
        id: "chatcmpl-test", object: "chat.completion", created: Math.floor(Date.now() / 1000), model: body.model,
        choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content, refusal: null } }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      }];
    }
    return [404, { error: { message: `no route ${method} ${path}` } }];
  });
  return { url: server.url, calls, state, bodies, close: server.close };
}
