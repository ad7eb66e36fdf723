export { embedStage } from "./stage";
export { mask } from "./mask";
export { fingerprint } from "./fingerprint";
export { HashEmbedder } from "./hash-embedder";
