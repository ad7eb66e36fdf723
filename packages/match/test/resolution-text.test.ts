import { describe, expect, it } from "vitest";
import { resolutionText } from "../src/runbook-sections";

describe("resolutionText: what a recommendation writer is given of a runbook", () => {
  it.each([
    ["the Resolution section, not the preamble", "# Disk full\n## Symptoms\nNo space left on device\n## Resolution\n1. Delete old logs.\n2. Grow the volume.\n## Prevention\nAlert at 80%.", "Delete old logs", "No space left"],
    ["a Mitigation section when there is no Resolution", "## Meaning\nThe kubelet is down.\n## Mitigation\nRestart the kubelet service.", "Restart the kubelet", "kubelet is down"],
    ["the whole text when no section says what to do", "Check the queue consumer and restart it.", "restart it", "@@none@@"],
  ])("gives %s", (_, markdown, kept, dropped) => {
    const text = resolutionText(markdown, 1200);
    expect(text).toContain(kept);
    expect(text).not.toContain(dropped);
  });

  it("caps the length", () => {
    expect(resolutionText(`## Resolution\n${"step ".repeat(1000)}`, 100).length).toBeLessThanOrEqual(100);
  });
});
