// A real redis-server (Debian's package) for tests, on a loopback port in a temporary folder.

export const PASSWORD = "redis-pass-9f3c1e";

/** A redis-server of its own: loopback only, nothing written to disk, a password. */
export async function startRedis(
  dir: string,
  port: number,
): Promise<Deno.ChildProcess> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--requirepass",
        PASSWORD,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    throw new Error(
      `redis-server is needed for this test (apt-get install redis-server; .ci/run does): ${error}`,
    );
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await pings(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error("redis-server did not start");
}

/** True when something on `port` answers a Redis PING (NOAUTH counts: it is Redis). */
export async function pings(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(64);
      const n = await conn.read(buffer);
      return n !== null &&
        /PONG|NOAUTH/.test(new TextDecoder().decode(buffer.subarray(0, n)));
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}
