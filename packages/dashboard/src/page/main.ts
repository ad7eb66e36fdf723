/// <reference lib="dom" />
import { ApiError, forgetKey, storedKey, storeKey } from "./api";
import { h, replace } from "./dom";
import { incidentView } from "./views/incident";
import { incidentsView } from "./views/incidents";
import { overview } from "./views/overview";
import { runbookView } from "./views/runbook";

const main = document.getElementById("app")!;
const nav = document.getElementById("nav")!;

/** Hash routes, so links from Slack and PagerDuty (`/dashboard#/incidents/{id}`) open the right view. */
function viewFor(hash: string): Promise<HTMLElement> {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts[0] === "incidents" && parts[1]) return incidentView(parts[1]);
  if (parts[0] === "incidents") return incidentsView(params);
  if (parts[0] === "runbooks" && parts[1]) return runbookView(parts[1]);
  return overview(params);
}

function keyForm(message?: string) {
  nav.hidden = true;
  const input = h("input", { type: "password", name: "key", autocomplete: "off", placeholder: "ir_live_…", required: true, "aria-label": "API key" });
  replace(main, h("form", {
    class: "key-form panel",
    onsubmit: (e: Event) => {
      e.preventDefault();
      storeKey(input.value.trim());
      void render();
    },
  },
    h("h2", {}, "Sign in with an API key"),
    h("p", { class: "muted" }, "The key stays in this browser tab (session storage) and is sent only to this server."),
    input,
    h("button", { type: "submit" }, "Open dashboard"),
    message ? h("p", { class: "error", role: "alert" }, message) : null,
  ));
  input.focus();
}

let rendering = 0;
async function render() {
  if (!storedKey()) return keyForm();
  nav.hidden = false;
  const mine = ++rendering;
  main.setAttribute("aria-busy", "true");
  try {
    const view = await viewFor(location.hash);
    if (mine !== rendering) return;
    replace(main, view);
  } catch (e) {
    if (mine !== rendering) return;
    if (e instanceof ApiError && e.status === 401) return keyForm("That key was not accepted.");
    replace(main, h("section", { class: "panel" }, h("p", { class: "error", role: "alert" }, (e as Error).message), h("a", { href: "#/" }, "Back to the overview")));
  } finally {
    if (mine === rendering) main.setAttribute("aria-busy", "false");
  }
}

document.getElementById("sign-out")!.addEventListener("click", () => { forgetKey(); keyForm(); });
window.addEventListener("hashchange", () => void render());
void render();
