/**
 * One run writes a report folder at a time: two runs of the same scenario
 * into one `--out` would silently replace each other's reports and share
 * rehearse.log. A live run holds `<out>/.rehearse.lock` (its pid); a second
 * run refuses (bad input). A lock whose process is gone is stale and taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "../../containers/registry.ts";
import { BadInputError } from "../../core/errors.ts";

const LOCK = ".rehearse.lock";

/** Takes the folder's lock; returns its release. Throws BadInputError while another live run holds it. */
export function lockOutDir(out: string): () => void {
  mkdirSync(out, { recursive: true });
  const file = join(out, LOCK);
  // Two attempts: the second after removing a stale lock (its owner died without releasing it).
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
        throw new BadInputError(`--out ${out}`, [
          `another rehearse run (pid ${owner}) is writing its reports there; wait for it, or give this run another --out`,
        ]);
      }
      rmSync(file, { force: true });
    }
  }
  throw new BadInputError(`--out ${out}`, [`cannot take ${file}: another run keeps taking it`]);
}
