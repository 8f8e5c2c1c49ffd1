// Throw-away TLS for the fake GigaChat, made with WebCrypto and a few lines of DER (RFC 5280),
// so the demo needs no certificate library: `task demo` downloads only what the gateway does.

/** A throw-away CA and a server certificate it signed for localhost, 127.0.0.1 and ::1. */
export interface TestTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** A client certificate the same CA signed (mutual TLS), and its key. */
  clientCertPem: string;
  clientKeyPem: string;
}

type Bytes = Uint8Array<ArrayBuffer>;

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

/**
 * Makes a fresh test CA, a server certificate and a client certificate, valid for a day;
 * nothing is kept on disk.
 */
export async function createTestTls(commonName = "Fake GigaChat Test CA"): Promise<TestTls> {
  const validity = seq(utcTime(Date.now() - 3_600_000), utcTime(Date.now() + 86_400_000));
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const caName = name(commonName);
  const ca = await certificate(caKeys.privateKey, {
    serial: 1,
    issuer: caName,
    subject: caName,
    validity,
    publicKey: caKeys.publicKey,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      // keyCertSign and cRLSign: bits 5 and 6, so one unused bit.
      extension(OID.keyUsage, true, tlv(0x03, new Uint8Array([1, 0x06]))),
    ],
  });
  const serverKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await certificate(caKeys.privateKey, {
    serial: 2,
    issuer: caName,
    subject: name("localhost"),
    validity,
    publicKey: serverKeys.publicKey,
    extensions: [
      extension(OID.basicConstraints, false, seq()),
      extension(
        OID.subjectAltName,
        false,
        seq(
          tlv(0x82, new TextEncoder().encode("localhost")),
          tlv(0x87, new Uint8Array([127, 0, 0, 1])),
          tlv(0x87, new Uint8Array([...new Array(15).fill(0), 1])),
        ),
      ),
      extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
    ],
  });
  const clientKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const client = await certificate(caKeys.privateKey, {
    serial: 3,
    issuer: caName,
    subject: name("gigachat-gateway test client"),
    validity,
    publicKey: clientKeys.publicKey,
    extensions: [
      extension(OID.basicConstraints, false, seq()),
      extension(OID.extKeyUsage, false, seq(oid(OID.clientAuth))),
    ],
  });
  const clientPkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", clientKeys.privateKey),
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", serverKeys.privateKey));
  return {
    caPem: pem(ca, "CERTIFICATE"),
    certPem: pem(cert, "CERTIFICATE"),
    keyPem: pem(pkcs8, "PRIVATE KEY"),
    clientCertPem: pem(client, "CERTIFICATE"),
    clientKeyPem: pem(clientPkcs8, "PRIVATE KEY"),
  };
}

interface CertificateFields {
  serial: number;
  issuer: Bytes;
  subject: Bytes;
  validity: Bytes;
  publicKey: CryptoKey;
  extensions: Bytes[];
}

async function certificate(signer: CryptoKey, fields: CertificateFields): Promise<Bytes> {
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    tlv(0xa0, integer(2)), // v3
    integer(fields.serial),
    algorithm,
    fields.issuer,
    fields.validity,
    fields.subject,
    new Uint8Array(await crypto.subtle.exportKey("spki", fields.publicKey)),
    tlv(0xa3, seq(...fields.extensions)),
  );
  const raw = new Uint8Array(await crypto.subtle.sign(ALGORITHM, signer, tbs));
  // WebCrypto signs as r‖s; X.509 wants SEQUENCE { r INTEGER, s INTEGER }.
  const signature = seq(unsigned(raw.subarray(0, 32)), unsigned(raw.subarray(32)));
  return seq(tbs, algorithm, tlv(0x03, concat(new Uint8Array([0]), signature)));
}

function name(commonName: string): Bytes {
  return seq(tlv(0x31, seq(oid(OID.commonName), tlv(0x0c, new TextEncoder().encode(commonName)))));
}

function extension(id: string, critical: boolean, value: Bytes): Bytes {
  return critical ? seq(oid(id), bool(true), tlv(0x04, value)) : seq(oid(id), tlv(0x04, value));
}

function utcTime(ms: number): Bytes {
  const iso = new Date(ms).toISOString(); // 2026-12-07T19:40:11.123Z
  const text = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) +
    iso.slice(14, 16) + iso.slice(17, 19) + "Z";
  return tlv(0x17, new TextEncoder().encode(text));
}

function oid(dotted: string): Bytes {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) groups.unshift(0x80 | (value & 0x7f));
    bytes.push(...groups);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

function integer(value: number): Bytes {
  return unsigned(new Uint8Array([value]));
}

/** A non-negative INTEGER from big-endian bytes: no leading zeros, one where the top bit is set. */
function unsigned(bytes: Bytes): Bytes {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = bytes.subarray(start);
  return tlv(0x02, body[0] & 0x80 ? concat(new Uint8Array([0]), body) : body);
}

function bool(value: boolean): Bytes {
  return tlv(0x01, new Uint8Array([value ? 0xff : 0]));
}

function seq(...items: Bytes[]): Bytes {
  return tlv(0x30, concat(...items));
}

function tlv(tag: number, content: Bytes): Bytes {
  const length = content.length < 0x80 ? [content.length] : lengthBytes(content.length);
  return concat(new Uint8Array([tag, ...length]), content);
}

function lengthBytes(length: number): number[] {
  const bytes: number[] = [];
  for (let value = length; value > 0; value >>>= 8) bytes.unshift(value & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function pem(der: Bytes, label: string): string {
  const base64 = btoa(String.fromCharCode(...der)).match(/.{1,64}/g)?.join("\n") ?? "";
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}
