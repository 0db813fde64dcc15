// Opening the page in the desktop's browser, where there is one.
import { spawn } from 'node:child_process';

/**
 * Opens a URL in the desktop's browser. Where that cannot happen (no display, no opener, the
 * opener fails) `onProblem` hears why, once, as a sentence; the command goes on either way.
 */
export function openBrowser(url: string, onProblem: (why: string) => void): void {
  const [cmd, args]: [string, string[]] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  if (process.platform !== 'darwin' && process.platform !== 'win32' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return onProblem('there is no display here to open a browser on');
  }
  let told = false;
  const tell = (why: string) => {
    if (told) return;
    told = true;
    onProblem(why);
  };
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => tell(`could not run ${cmd} to open a browser`));
    // xdg-open without a desktop exits non-zero rather than failing to start
    child.on('exit', (code) => code && tell(`${cmd} could not open a browser (exit code ${code})`));
    child.unref();
  } catch {
    tell(`could not run ${cmd} to open a browser`);
  }
}
