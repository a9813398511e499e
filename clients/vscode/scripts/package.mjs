// Packages the extension as a linux-x64 .vsix with the server binary inside.
// The binary comes from $RECURRENT_BIN, else the repository's build/recurrent; the .vsix lands in the
// extension folder (or at --out PATH).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.RECURRENT_BIN || resolve(root, '../../build/recurrent');
if (!existsSync(binary)) {
  console.error(`package: no server binary at ${binary}; build it (scripts/build) or set RECURRENT_BIN`);
  process.exit(1);
}
mkdirSync(join(root, 'server'), { recursive: true });
copyFileSync(binary, join(root, 'server', 'recurrent'));
chmodSync(join(root, 'server', 'recurrent'), 0o755);
// The page each diagnostic's code links to; the server looks for it beside itself.
copyFileSync(resolve(root, '../../docs/checks.md'), join(root, 'server', 'checks.md'));
// A Debug build carries its symbols; strip the copy when strip exists (halves the package), keep it otherwise.
try {
  execFileSync('strip', ['--strip-debug', join(root, 'server', 'recurrent')]);
} catch {
  console.warn('package: strip not available, the binary keeps its debug symbols');
}

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : join(root, `recurrent-linux-x64-${version}.vsix`);
// README links stay relative: they point into the repository (docs/images), which a .vsix does not carry.
try {
  execFileSync(
    join(root, 'node_modules', '.bin', 'vsce'),
    ['package', '--target', 'linux-x64', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out],
    { cwd: root, stdio: 'inherit' },
  );
} catch {
  console.error('package: vsce failed (see above)');
  process.exit(1);
}
console.log(`package: ${out}`);
