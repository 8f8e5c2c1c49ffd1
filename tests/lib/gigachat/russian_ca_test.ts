import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import {
  RUSSIAN_TRUSTED_CAS,
  RUSSIAN_TRUSTED_ROOT_CA,
  RUSSIAN_TRUSTED_SUB_CA_2022,
  RUSSIAN_TRUSTED_SUB_CA_2024,
} from "../../../lib/gigachat/russian_ca.ts";

// Copies of the PEM files of ../shared/gigachat/ (the team's reference), kept in the repository
// so a fresh clone runs this test too.
const FIXTURES = new URL("../../fixtures/russian_ca/", import.meta.url);

const ROWS = [
  { name: "root", pem: RUSSIAN_TRUSTED_ROOT_CA, file: "russian_trusted_root_ca.pem" },
  { name: "sub 2022", pem: RUSSIAN_TRUSTED_SUB_CA_2022, file: "russian_trusted_sub_ca.pem" },
  { name: "sub 2024", pem: RUSSIAN_TRUSTED_SUB_CA_2024, file: "russian_trusted_sub_ca_2024.pem" },
];

Deno.test("RUSSIAN_TRUSTED_* are byte-identical to the reference PEM files", async (t) => {
  for (const row of ROWS) {
    await t.step(row.file, async () => {
      const file = await Deno.readFile(new URL(row.file, FIXTURES));
      assert.deepEqual(new TextEncoder().encode(row.pem), file);
    });
  }
});

Deno.test("RUSSIAN_TRUSTED_CAS holds root, sub 2022 and sub 2024", () => {
  assert.deepEqual(RUSSIAN_TRUSTED_CAS, [
    RUSSIAN_TRUSTED_ROOT_CA,
    RUSSIAN_TRUSTED_SUB_CA_2022,
    RUSSIAN_TRUSTED_SUB_CA_2024,
  ]);
});

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0").toUpperCase())
    .join(":");
}

// Subjects, serials and SHA-256 (DER) fingerprints from API-chat.md §8 (checked with openssl).
const CERTS = [
  {
    name: "root",
    pem: RUSSIAN_TRUSTED_ROOT_CA,
    cn: "Russian Trusted Root CA",
    serial: "1000",
    sha256:
      "D2:6D:2D:02:31:B7:C3:9F:92:CC:73:85:12:BA:54:10:35:19:E4:40:5D:68:B5:BD:70:3E:97:88:CA:8E:CF:31",
  },
  {
    name: "sub 2022",
    pem: RUSSIAN_TRUSTED_SUB_CA_2022,
    cn: "Russian Trusted Sub CA",
    serial: "1002",
    sha256:
      "BB:BD:E2:10:3E:79:0B:99:9E:C6:2B:D0:3C:F6:25:A5:A2:E7:C3:16:E1:0A:FE:6A:49:0E:ED:EA:D8:B3:FD:9B",
  },
  {
    name: "sub 2024",
    pem: RUSSIAN_TRUSTED_SUB_CA_2024,
    cn: "Russian Trusted Sub CA",
    serial: "1005",
    sha256:
      "21:55:78:50:36:C9:00:DB:B5:F1:BB:2A:15:69:C8:0C:55:59:5B:D6:BF:94:86:7A:29:BB:DD:BC:7D:88:A3:F2",
  },
];

Deno.test("russian_ca PEMs parse as the certificates of API-chat.md §8", async (t) => {
  const root = new x509.X509Certificate(RUSSIAN_TRUSTED_ROOT_CA);
  for (const row of CERTS) {
    await t.step(row.name, async () => {
      const cert = new x509.X509Certificate(row.pem);
      assert.deepEqual(cert.subjectName.getField("CN"), [row.cn]);
      assert.deepEqual(cert.issuerName.getField("CN"), ["Russian Trusted Root CA"]);
      assert.equal(cert.serialNumber, row.serial);
      assert.equal(hex(await cert.getThumbprint("SHA-256")), row.sha256);
      assert.equal(await cert.verify({ publicKey: root.publicKey, signatureOnly: true }), true);
    });
  }
  await t.step("root is self-signed, subs are not", async () => {
    assert.equal(await root.isSelfSigned(), true);
    assert.equal(await new x509.X509Certificate(RUSSIAN_TRUSTED_SUB_CA_2022).isSelfSigned(), false);
    assert.equal(await new x509.X509Certificate(RUSSIAN_TRUSTED_SUB_CA_2024).isSelfSigned(), false);
  });
});
