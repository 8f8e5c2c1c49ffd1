/// <reference lib="deno.ns" />
// `deno task console:build`: the console's TypeScript bundled (Preact, htm, uPlot from npm) into
// console/dist/, which the gateway serves under /console and `deno task compile` embeds. No CDN
// at run time: the console works offline and inside the binary.
//
// With --if-missing (what `deno task start` and `dev` run first), an existing build is kept, and a
// failed one is only a warning: the gateway runs without its console, and /console says so.
const here = new URL(".", import.meta.url);
const dist = new URL("dist/", here);
const ifMissing = Deno.args.includes("--if-missing");
if (ifMissing && await exists(new URL("app.js", dist))) Deno.exit(0);
await Deno.mkdir(dist, { recursive: true });

const bundle = await new Deno.Command(Deno.execPath(), {
  args: [
    "bundle",
    "--config",
    new URL("deno.json", here).pathname,
    "--platform",
    "browser",
    "--minify",
    "--output",
    new URL("app.js", dist).pathname,
    new URL("app.ts", here).pathname,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!bundle.success) {
  // deno-lint-ignore no-console
  if (ifMissing) console.error("console/dist: not built; the gateway starts without /console");
  Deno.exit(ifMissing ? 0 : 1);
}

await Deno.copyFile(new URL("style.css", here), new URL("app.css", dist));
await Deno.copyFile(new URL("index.html", here), new URL("index.html", dist));

const sizes = await Promise.all(
  ["app.js", "app.css", "index.html"].map(async (name) =>
    `${name} ${((await Deno.stat(new URL(name, dist))).size / 1024).toFixed(1)} KB`
  ),
);
// deno-lint-ignore no-console
console.log(`console/dist: ${sizes.join(", ")}`);

async function exists(file: URL): Promise<boolean> {
  try {
    return (await Deno.stat(file)).isFile;
  } catch {
    return false;
  }
}
