/** The dashboard is a static page built by packages/dashboard; served as one self-contained file. */
export { dashboardHtml } from "@ir/dashboard";
