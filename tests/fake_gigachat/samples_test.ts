// The fake answers with copies of the recorded samples; they must stay the recorded bytes.
import assert from "node:assert/strict";

const SAMPLES = new URL("./samples/", import.meta.url);
const SHARED = new URL("../../../shared/gigachat/samples/", import.meta.url);

let sharedPresent = false;
try {
  sharedPresent = (await Deno.stat(SHARED)).isDirectory;
} catch {
  // A user's fresh clone has no ../shared: nothing to compare with.
}

Deno.test({
  name: "fake GigaChat samples are byte-identical to ../shared/gigachat/samples",
  ignore: !sharedPresent,
  fn: async () => {
    let compared = 0;
    for await (const entry of Deno.readDir(SAMPLES)) {
      const ours = await Deno.readFile(new URL(entry.name, SAMPLES));
      const recorded = await Deno.readFile(new URL(entry.name, SHARED));
      assert.deepEqual(ours, recorded, entry.name);
      compared++;
    }
    assert.ok(compared >= 10, `compared ${compared} samples`);
  },
});
