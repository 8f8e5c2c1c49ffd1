// Tests that run real servers from Debian's packages (redis-server, haproxy, wrk). .ci/run
// installs them and sets GATEWAY_TEST_REQUIRE_PROGRAMS=1, so there a missing one fails its
// test; on a developer's machine without them those tests are skipped, so that the README's
// `deno task test` works with nothing but Node/npm.

const REQUIRED = Deno.env.get("GATEWAY_TEST_REQUIRE_PROGRAMS") === "1";

/** Whether `program` is on PATH. */
export function onPath(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir !== "" && Deno.statSync(`${dir}/${program}`).isFile) return true;
    } catch {
      // Not in this folder.
    }
  }
  return false;
}

/** `ignore` for a test that needs `programs`: skipped when one is missing, unless required. */
export function needs(...programs: string[]): { ignore: boolean } {
  return { ignore: !REQUIRED && !programs.every(onPath) };
}
