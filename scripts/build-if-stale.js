#!/usr/bin/env node
// Builds dist/ only when a source is newer than the last build (`--force`: always), so `npm start`, `npm run token`,
// `npm run import` and `npm run migrate` start at once after the first time. Plain JavaScript:
// it must run before anything is compiled. Prints only to stderr (stdout may be captured, as in
// `TOKEN=$(npm run -s token -- …)`).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = [
  'src',
  'migrations',
  'scripts',
  'bench',
  'knexfile.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

function newest(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs; // a deleted or renamed file changes its folder's mtime
  for (const entry of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, entry)));
  return max;
}

function builtAt() {
  try {
    return fs.statSync(stamp).mtimeMs;
  } catch {
    return 0; // never built
  }
}

const force = process.argv.includes('--force');
const changed = Math.max(...inputs.map((p) => newest(path.join(root, p))));
if (!force && builtAt() > changed) process.exit(0);

// One build at a time (two test files, or two terminals, may ask at once); the second waits and
// then finds the build done.
const lock = path.join(root, 'dist', '.build-lock');
fs.mkdirSync(path.dirname(lock), { recursive: true });
for (let waited = 0; ; waited += 200) {
  try {
    fs.mkdirSync(lock);
    break;
  } catch {
    if (waited > 120_000) fs.rmSync(lock, { recursive: true, force: true }); // left by a killed build
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}
process.on('exit', () => fs.rmSync(lock, { recursive: true, force: true }));
if (!force && builtAt() > changed) process.exit(0);

if (!force) process.stderr.write('Building (sources changed since the last build)…\n');
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
} catch {
  process.stderr.write('The build failed (see above).\n');
  process.exit(1);
}
fs.mkdirSync(path.dirname(stamp), { recursive: true });
fs.writeFileSync(stamp, new Date().toISOString() + '\n');
