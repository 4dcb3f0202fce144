import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/**
 * The compiled entry points, as users run them: built only when a source changed since the last
 * build (scripts/build-if-stale.js), so this is a no-op after `npm run build`.
 */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-if-stale.js')], { cwd: ROOT, stdio: 'inherit' });
}
