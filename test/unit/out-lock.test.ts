/** One live run per --out folder: a second is refused while the first holds the lock; a dead one's is taken. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockOutDir } from "../../harness/cli/out-lock.ts";

describe("lockOutDir", () => {
  it("refuses a folder another live process holds, naming it; takes it once released", async () => {
    const out = mkdtempSync(join(tmpdir(), "rehearse-unit-lock-"));
    const other = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(out, ".rehearse.lock"), String(other.pid));
      expect(() => lockOutDir(out)).toThrow(`another rehearse run (pid ${other.pid}) is writing its reports there`);
    } finally {
      other.kill("SIGKILL");
      await new Promise((resolve) => other.once("exit", resolve));
    }
    // Its owner is gone: the lock is stale and taken over; released, it is gone.
    const release = lockOutDir(out);
    expect(existsSync(join(out, ".rehearse.lock"))).toBe(true);
    release();
    expect(existsSync(join(out, ".rehearse.lock"))).toBe(false);
  });
});
