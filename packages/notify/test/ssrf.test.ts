import { describe, expect, it } from "vitest";
import { BadRequest, type NotificationSettings } from "@ir/core";
import { isPrivateAddress } from "../src/ssrf";
import { validateTargets } from "../src/index";

describe("private addresses", () => {
  it.each([
    ["127.0.0.1", true], ["127.1.2.3", true], ["10.0.0.5", true], ["172.16.0.1", true], ["172.31.255.255", true],
    ["192.168.1.1", true], ["169.254.169.254", true], ["100.100.100.200", true], ["0.0.0.0", true], ["224.0.0.1", true],
    ["255.255.255.255", true], ["::1", true], ["::", true], ["fe80::1", true], ["fd00:ec2::254", true], ["fc00::1", true],
    ["::ffff:127.0.0.1", true], ["::ffff:169.254.169.254", true], ["::ffff:a9fe:a9fe", true], ["64:ff9b::a9fe:a9fe", true],
    ["64:ff9b::10.0.0.1", true], ["2002:7f00:1::", true], ["ff02::1", true], ["not-an-ip", true],
    ["8.8.8.8", false], ["172.32.0.1", false], ["93.184.215.14", false], ["2606:4700::1111", false],
    ["::ffff:8.8.8.8", false], ["64:ff9b::808:808", false],
  ])("%s → %s", (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe("validateTargets", () => {
  const settings = (...urls: string[]): NotificationSettings => ({
    channels: [{ type: "pagerduty", routing_key: "R0UT1NGKEYfedcba9876543210abcdef" }, ...urls.map((url) => ({ type: "webhook" as const, url }))],
  });

  it.each([
    { name: "the metadata service", urls: ["http://169.254.169.254/latest/meta-data"], allow: false, error: /^channels\[1\] \(webhook\): host 169\.254\.169\.254 is a private/ },
    { name: "loopback by name", urls: ["https://93.184.215.14/ok", "http://localhost:8080/hook"], allow: false, error: /^channels\[2\] \(webhook\): host localhost is a private.*\((127\.0\.0\.1|::1)\)/ },
    { name: "an IPv6 loopback literal", urls: ["http://[::1]:9000/"], allow: false, error: /^channels\[1\] \(webhook\): host ::1 is a private/ },
    { name: "an IPv4-mapped private address", urls: ["http://[::ffff:10.0.0.1]/"], allow: false, error: /^channels\[1\] \(webhook\).*private/ },
    { name: "a decimal-encoded loopback", urls: ["http://2130706433/"], allow: false, error: /^channels\[1\] \(webhook\): host 127\.0\.0\.1/ },
    { name: "a private network", urls: ["http://10.1.2.3/hook"], allow: false, error: /^channels\[1\] \(webhook\)/ },
    { name: "a non-http scheme, even where private targets are allowed", urls: ["ftp://93.184.215.14/"], allow: true, error: /^channels\[1\] \(webhook\): uses ftp; only http and https/ },
    { name: "loopback where private targets are allowed", urls: ["http://127.0.0.1:3000/hook"], allow: true, error: null },
    { name: "a public address", urls: ["https://93.184.215.14/hook"], allow: false, error: null },
  ])("$name", async ({ urls, allow, error }) => {
    // prepare / act
    const outcome = await validateTargets(settings(...urls), allow).then(() => null, (e: unknown) => e);
    // assess
    if (error === null) return expect(outcome).toBeNull();
    expect(outcome).toBeInstanceOf(BadRequest);
    expect((outcome as BadRequest).message).toMatch(error);
  });

  it("checks Slack webhook URLs too", async () => {
    // prepare / act
    const outcome = await validateTargets({ channels: [{ type: "slack", webhook_url: "http://192.168.0.10/services/x" }] }, false).catch((e: unknown) => e);
    // assess
    expect((outcome as BadRequest).message).toMatch(/^channels\[0\] \(slack\)/);
  });
});
