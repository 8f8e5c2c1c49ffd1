// Which addresses an image URL may point at. A gateway that fetches URLs for its clients must
// not become their way into the machine or its network (SSRF): loopback, private, link-local
// (cloud metadata at 169.254.169.254), CGNAT, multicast, reserved and unspecified addresses are
// refused, in both families, and IPv4 hidden inside IPv6 is refused outright.

/** Why an address is refused, or undefined when it is a public unicast address. */
export function forbiddenReason(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return ipv4Reason(v4);
  const v6 = parseIPv6(ip);
  if (v6 === undefined) return "not an IP address";
  return ipv6Reason(v6);
}

function ipv4Reason([a, b]: number[]): string | undefined {
  if (a === 0) return "unspecified (0.0.0.0/8)";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 100 && b >= 64 && b <= 127) return "carrier-grade NAT (100.64.0.0/10)";
  if (a === 192 && b === 0) return "reserved (192.0.0.0/24, 192.0.2.0/24)";
  if (a === 198 && (b === 18 || b === 19)) return "benchmarking (198.18.0.0/15)";
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved (240.0.0.0/4) or broadcast";
  return undefined;
}

function ipv6Reason(words: number[]): string | undefined {
  if (words.every((w) => w === 0)) return "unspecified (::)";
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return "loopback (::1)";
  // IPv4 behind an IPv6 face reaches that IPv4 address: each form is refused outright, and the
  // reason names the address inside when that one is itself refused.
  const embedded = embeddedIPv4(words);
  if (embedded !== undefined) {
    const [form, v4] = embedded;
    const inner = ipv4Reason(v4);
    return inner === undefined ? form : `${form} embedding ${v4.join(".")} (${inner})`;
  }
  if ((words[0] & 0xfe00) === 0xfc00) return "unique local (fc00::/7)";
  if ((words[0] & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
  if ((words[0] & 0xffc0) === 0xfec0) return "site-local (fec0::/10)";
  if ((words[0] & 0xff00) === 0xff00) return "multicast (ff00::/8)";
  if (words[0] === 0x2001 && words[1] === 0x0db8) return "documentation (2001:db8::/32)";
  return undefined;
}

/** The IPv6 forms that carry an IPv4 address, with the address they carry. */
function embeddedIPv4(words: number[]): [string, number[]] | undefined {
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && words[5] === 0xffff) {
    return ["IPv4-mapped (::ffff:0:0/96)", v4(words[6], words[7])];
  }
  if (zeros(0, 6)) return ["IPv4-compatible (::/96)", v4(words[6], words[7])];
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) {
    return ["IPv4-translated (::ffff:0:0:0/96)", v4(words[6], words[7])];
  }
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) {
    return ["NAT64 (64:ff9b::/96)", v4(words[6], words[7])];
  }
  if (words[0] === 0x64 && words[1] === 0xff9b && words[2] === 1) {
    // Local-use NAT64 (RFC 8215): the IPv4 address may sit at several offsets.
    return ["local NAT64 (64:ff9b:1::/48)", v4(words[6], words[7])];
  }
  if (words[0] === 0x2002) return ["6to4 (2002::/16)", v4(words[1], words[2])];
  if (words[0] === 0x2001 && words[1] === 0) {
    // Teredo keeps the client's IPv4 address inverted in the last two words.
    return ["Teredo (2001::/32)", v4(words[6] ^ 0xffff, words[7] ^ 0xffff)];
  }
  return undefined;
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/.test(text) || !text.includes(":")) return undefined;
  let hex = text;
  const lastColon = text.lastIndexOf(":");
  const dotted = text.slice(lastColon + 1);
  if (dotted.includes(".")) {
    // A trailing dotted quad is two ordinary 16-bit words.
    const v4 = parseIPv4(dotted);
    if (v4 === undefined) return undefined;
    const word = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    hex = `${text.slice(0, lastColon + 1)}${word(v4[0], v4[1])}:${word(v4[2], v4[3])}`;
  }
  const halves = hex.split("::");
  if (halves.length > 2) return undefined;
  const toWords = (part: string) =>
    part === ""
      ? []
      : part.split(":").map((w) => (/^[0-9a-f]{1,4}$/.test(w) ? parseInt(w, 16) : NaN));
  const left = toWords(halves[0]);
  const right = halves.length === 2 ? toWords(halves[1]) : [];
  if ([...left, ...right].some(Number.isNaN)) return undefined;
  const total = left.length + right.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  return [...left, ...new Array(8 - total).fill(0), ...right];
}
