/** Postgres and PgBouncer refuse to run as root: when we are root, servers run as `postgres`. */
import { readFileSync } from "node:fs";

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

export function lookupUser(name: string, passwdFile = "/etc/passwd"): ServiceUser | undefined {
  for (const line of readFileSync(passwdFile, "utf8").split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** undefined means "run as the current user". */
export function serviceUserFor(currentUid: number, preferred = "postgres"): ServiceUser | undefined {
  if (currentUid !== 0) return undefined;
  const user = lookupUser(preferred);
  if (!user) {
    throw new Error(
      `running as root, but user '${preferred}' does not exist; Postgres refuses to run as root (Debian's postgresql package creates the user)`,
    );
  }
  return user;
}
