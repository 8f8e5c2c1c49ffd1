import assert from "node:assert/strict";
import { forbiddenReason } from "../../../lib/vision/address_check.ts";

Deno.test("forbiddenReason refuses IPv4 hidden in IPv6 and names a refused address inside", async (t) => {
  const rows: [string, string | undefined][] = [
    // Public addresses in both families pass.
    ["93.184.216.34", undefined],
    ["2606:2800:220:1:248:1893:25c8:1946", undefined],
    ["::1", "loopback (::1)"],
    ["::ffff:10.0.0.1", "IPv4-mapped (::ffff:0:0/96) embedding 10.0.0.1 (private)"],
    ["::ffff:7f00:1", "IPv4-mapped (::ffff:0:0/96) embedding 127.0.0.1 (loopback)"],
    ["::ffff:93.184.216.34", "IPv4-mapped (::ffff:0:0/96)"],
    ["::127.0.0.1", "IPv4-compatible (::/96) embedding 127.0.0.1 (loopback)"],
    // The three forms (outside testing found the first one let through).
    ["::ffff:0:127.0.0.1", "IPv4-translated (::ffff:0:0:0/96) embedding 127.0.0.1 (loopback)"],
    ["::ffff:0:c0a8:101", "IPv4-translated (::ffff:0:0:0/96) embedding 192.168.1.1 (private)"],
    ["::ffff:0:93.184.216.34", "IPv4-translated (::ffff:0:0:0/96)"],
    ["64:ff9b::10.1.2.3", "NAT64 (64:ff9b::/96) embedding 10.1.2.3 (private)"],
    ["64:ff9b::7f00:1", "NAT64 (64:ff9b::/96) embedding 127.0.0.1 (loopback)"],
    ["64:ff9b::93.184.216.34", "NAT64 (64:ff9b::/96)"],
    ["64:ff9b:1::a9fe:a9fe", "local NAT64 (64:ff9b:1::/48) embedding 169.254.169.254 (link-local)"],
    ["2002:7f00:1::", "6to4 (2002::/16) embedding 127.0.0.1 (loopback)"],
    ["2002:a00:1::1", "6to4 (2002::/16) embedding 10.0.0.1 (private)"],
    ["2002:5db8:d822::1", "6to4 (2002::/16)"],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo (2001::/32) embedding 127.0.0.1 (loopback)"],
    ["fd00::1", "unique local (fc00::/7)"],
    ["fe80::1", "link-local (fe80::/10)"],
    ["2001:db8::1", "documentation (2001:db8::/32)"],
    ["[::ffff:0:7f00:1]", "IPv4-translated (::ffff:0:0:0/96) embedding 127.0.0.1 (loopback)"],
  ];
  for (const [address, expected] of rows) {
    await t.step(address, () => assert.equal(forbiddenReason(address), expected));
  }
});
