export { enrichStage } from "./stage";
export { ExtractiveWriter } from "./extractive-writer";
export { similarResolutions } from "./similar-resolutions";
