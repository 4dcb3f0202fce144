import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const DEV_SECRET_FILE = 'dev-jwt-secret';
/** Anything shorter than this in the file is treated as damaged and replaced. */
const MIN_SECRET_LENGTH = 32;

/**
 * The development HS256 secret: read from `<dataDir>/dev-jwt-secret`, or created there (mode
 * 0600) on first use so the server and `npm run token` agree without any configuration.
 * Synchronous because it runs once at start-up.
 */
export function ensureDevSecret(dataDir: string): string {
  const file = path.join(dataDir, DEV_SECRET_FILE);
  const existing = readSecret(file);
  if (existing) return existing;

  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // Write a private temp file, then hard-link it into place: the link either appears complete
  // or fails with EEXIST, so a server and a CLI starting together never read a half-written
  // file and never end up with different secrets.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (fs.existsSync(file)) {
      // Present but damaged (empty or truncated): replace it.
      fs.renameSync(tmp, file);
      return secret;
    }
    linkOrCreate(tmp, file, secret);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const theirs = readSecret(file);
      if (theirs) return theirs;
    }
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Hard link where the file system has them; else an exclusive create (still never overwrites). */
function linkOrCreate(tmp: string, file: string, secret: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  }
}

function readSecret(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text.length >= MIN_SECRET_LENGTH ? text : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
