// The fake answers with copies of the recorded samples (../shared/gigachat/samples/, copied to fake_gigachat/samples/); they must
// stay the recorded bytes. samples.sha256 holds the SHA-256 of each recording, taken from the
// reference when it was copied, so a fresh clone checks the copies without the reference.
import assert from "node:assert/strict";

const SAMPLES = new URL("../../fake_gigachat/samples/", import.meta.url);
const MANIFEST = new URL("./samples.sha256", import.meta.url);

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("fake GigaChat samples are byte-identical to the recordings", async () => {
  const expected = new Map(
    (await Deno.readTextFile(MANIFEST)).trim().split("\n").map((line) => {
      const [hash, name] = line.split(/\s+/);
      return [name, hash] as const;
    }),
  );
  const seen: string[] = [];
  for await (const entry of Deno.readDir(SAMPLES)) {
    const hash = await sha256(await Deno.readFile(new URL(entry.name, SAMPLES)));
    assert.equal(hash, expected.get(entry.name), `${entry.name} differs from its recording`);
    seen.push(entry.name);
  }
  assert.deepEqual(seen.sort(), [...expected.keys()].sort(), "every recording has its copy");
});
