import { afterEach, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { endState, exampleArgs, freshFixture, type Fixture } from "../support/tenant.js";

/**
 * Issue 21, item 2: `x-ratelimit-reset` is an absolute UNIX second. With the client's clock ahead
 * of the tenant's, it read as past and the client retried at once: a free-tier init sent about a
 * thousand requests in three seconds, almost all answered 429, and exited 1.
 */
let fx: Fixture | undefined;
afterEach(async () => fx?.tenant.close());

describe("the spec's init on a free tenant (2/s, burst 2) whose clock differs from ours", () => {
  for (const [skew, words] of [
    [-1000, "1 s behind"],
    [1000, "1 s ahead"],
  ] as const) {
    it(`tenant clock ${words}: exit 0, at most twice as many requests as calls`, async () => {
      fx = await freshFixture({ faults: { rateLimit: { perSecond: 2, burst: 2 }, clockSkewMs: skew } });
      const result = await cli(exampleArgs(fx.dir), { env: fx.env, ca: fx.tenant.caCertPem, cwd: fx.dir });
      expect(result.stderr).not.toContain("✖");
      expect(result.code).toBe(0);
      const requests = fx.tenant.calls.filter((c) => c.path.startsWith("/api/v2/"));
      const calls = requests.filter((c) => c.status !== 429);
      expect(requests.length).toBeLessThanOrEqual(2 * calls.length);
      expect(endState(fx.tenant).roles.map((r) => r.name)).toEqual(["Tool Administrator", "Tool User"]);
    }, 60_000);
  }
});
