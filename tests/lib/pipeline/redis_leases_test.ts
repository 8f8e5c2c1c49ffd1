// Slots as leases in a real redis-server (Debian's package; .ci/run installs it): one cap for
// every instance, a freed slot heard at once, a dead holder's slot back when its lease expires,
// a lost lease written again, and per-instance counting while Redis is away.
import assert from "node:assert/strict";
import { Logger } from "../../../lib/log.ts";
import { GatewayMetrics } from "../../../lib/metrics.ts";
import { RedisLeases } from "../../../lib/pipeline/redis_leases.ts";
import { connectRedis, PREFIX } from "../../../lib/pipeline/shared_state.ts";
import { freePort } from "../../helpers/free_port.ts";
import { PASSWORD, startRedis } from "../../helpers/redis_server.ts";
import { needs } from "../../helpers/system_programs.ts";

const TTL_MS = 600;

Deno.test({
  name: "RedisLeases: one cap for all, freed slots heard, dead and lost leases, Redis away",
  ignore: needs("redis-server").ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const redis = await startRedis(dir, port);
    const url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    const lines: string[] = [];
    const log = new Logger({ level: "info", sink: (line) => lines.push(line) });
    const kvA = await connectRedis(url, log);
    const kvB = await connectRedis(url, log);
    const metrics = new GatewayMetrics([]);
    const a = new RedisLeases(kvA, { prefix: PREFIX, log, metrics, ttlMs: TTL_MS });
    const b = new RedisLeases(kvB, { prefix: PREFIX, log, metrics, ttlMs: TTL_MS });
    const freed: string[] = [];
    b.onFreed((key) => freed.push(key));
    try {
      // Subscriptions are made in the background.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const held = await a.take("k", 1);
      assert.ok(held, "A takes the one slot");
      assert.equal(await b.take("k", 1), undefined, "B finds it taken");
      held.release();
      const heardAt = performance.now();
      while (!freed.includes("k") && performance.now() - heardAt < 2_000) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.ok(performance.now() - heardAt < TTL_MS / 2, "heard at once, not at expiry");
      const second = await b.take("k", 1);
      assert.ok(second, "B takes it then");
      second.release();

      // A lease Redis lost (a restart without persistence) is written again by its renewal.
      const kept = await a.take("lost", 1);
      assert.ok(kept);
      await kvA.command(["FLUSHALL"]);
      await new Promise((resolve) => setTimeout(resolve, TTL_MS / 2 + 100));
      assert.equal(await b.take("lost", 1), undefined, "re-asserted after the flush");
      kept.release();

      // A holder that dies (no renewals, no release): B hears when its lease has expired.
      const c = new RedisLeases(kvA, { prefix: PREFIX, log, metrics, ttlMs: TTL_MS });
      assert.ok(await c.take("dead", 1));
      c.close();
      freed.length = 0;
      assert.equal(await b.take("dead", 1), undefined);
      const waitedFrom = performance.now();
      while (!freed.includes("dead") && performance.now() - waitedFrom < 3_000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(freed.includes("dead"), "woken when the lease expired");
      assert.ok(await b.take("dead", 1), "and the slot is free");

      // Redis gone: slots counted here alone, said in the log and the metrics.
      redis.kill("SIGKILL");
      await redis.status;
      const alone = await b.take("alone", 1);
      assert.ok(alone, "counted per instance");
      assert.equal(await b.take("alone", 1), undefined, "still within this instance's cap");
      assert.equal(metrics.poolLocalCaps.get([]), 1);
      assert.ok(lines.some((line) => line.includes("credential caps counted per instance")));
      assert.ok(lines.every((line) => !line.includes(PASSWORD)));
      alone.release();
    } finally {
      a.close();
      b.close();
      await kvA.close();
      await kvB.close();
      try {
        redis.kill("SIGKILL");
      } catch {
        // Already stopped.
      }
      await redis.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
