import type { Plugin } from "esbuild";
export declare const MAIN_FIELDS: string[];
export declare const zodEnglishOnly: Plugin;
export declare const pinoWithoutTransports: Plugin;
declare const plugins: Plugin[];
export default plugins;
