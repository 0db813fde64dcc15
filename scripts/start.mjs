// npm start: build only when a source is newer than the build, then open the assistant in the browser.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time under `path` (a file or a folder), 0 when it does not exist. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((most, name) => Math.max(most, newest(join(path, name))), stat.mtimeMs);
}

/** The oldest of the build's outputs, 0 when one is missing. */
function oldestOutput() {
  return Math.min(...['dist/cli/main.js', 'dist/ui/app.js', 'dist/index.js'].map((f) => newest(join(root, f))));
}

const sources = Math.max(...['src', 'package.json', 'tsconfig.json', 'package-lock.json'].map((p) => newest(join(root, p))));
if (sources > oldestOutput()) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const ui = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'ui', '--open', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(ui.status ?? (ui.signal === 'SIGINT' ? 130 : 1));
