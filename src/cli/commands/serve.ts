// `sockit serve`: the CLI face of the static web server session.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parseHost, parseInteger, parsePort, parseSize } from '../../wire/endpoint.js';
import { loadTlsMaterial } from '../../net/tls-cert.js';
import { UsageError } from '../../errors.js';
import { parseCredentials } from '../../http/auth.js';
import { StaticServer } from '../../http/static-server.js';
import { isLoopbackHost } from '../../net/address.js';
import type { DotfilePolicy } from '../../http/resolve-path.js';
import { collect, secondsOption } from '../common.js';
import { onStopSignal } from '../signals.js';
import { colorWanted, createEventRenderer, LineWriter, makePalette } from '../output.js';
import type { CommandResult } from '../main.js';

/** Registers `serve`. */
export function registerServe(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  program
    .command('serve')
    .description('static web server for a folder, on localhost unless -H says otherwise (like python3 -m http.server, faster and safer)')
    .argument('[dir]', 'folder to serve (default: the current one); a number is the port when no folder has that name')
    .option('-p, --port <port>', 'port to listen on (default 8000; 0: any free port)')
    .option('-H, --host <host>', 'address to listen on (default: 127.0.0.1 and ::1; 0.0.0.0 or :: shares the folder on the network)')
    .option('--cors', 'send Access-Control-Allow-Origin: * and answer preflights')
    .option('--cache <seconds>', 'Cache-Control: public, max-age=<seconds> (default: no-cache, always revalidate)')
    .option('--spa', 'single-page app: paths without a file answer with /index.html')
    .option('--dotfiles <policy>', 'names starting with a dot: ignore (404, not listed), deny (403) or allow', 'ignore')
    .option('--no-listing', 'no folder listings: 404 where a folder has no index.html')
    .option('--follow-symlinks', 'serve symlinks whose target is outside the folder (refused by default)')
    .option('--auth <user:pass>', 'require HTTP Basic auth; user:sha256:<hex> keeps the password off the command line (or set SOCKIT_AUTH)')
    .option('--tls', 'HTTPS with a self-signed certificate made on the fly (unless --cert/--key)')
    .option('--cert <file>', 'TLS certificate (PEM)')
    .option('--key <file>', 'TLS private key (PEM)')
    .option('--upload', 'accept uploads: PUT a file, or POST multipart/form-data to a folder (the listing gets a form)')
    .option('--max-upload <size>', 'largest upload', '1GiB')
    .option('--no-compress', 'never compress responses')
    .option('--timeout <s>', 'close connections silent this long; request headers must arrive within the same time (60 s at most)', '30')
    .option('--max-conns <n>', 'connections at once, over every address; at the cap the oldest idle one makes room', '1024')
    .option('--allow-host <name>', 'on a localhost server, accept this Host name too (repeatable; others get 403, against DNS rebinding)', collect)
    .option('--open', 'open the browser at the server')
    .option('-q, --quiet', 'no access log')
    .option('--json', 'one JSON event per line on stdout, for scripts')
    .option('--no-color', 'no colours, even on a terminal')
    .action((dir: string | undefined, opts: Record<string, unknown>) => run(() => serve(dir, opts)));
}

/** `sockit serve 8080` means port 8080, unless a folder is called that. */
function folderAndPort(dirArg: string | undefined, portOpt: unknown): { dir: string; port: number } {
  if (dirArg !== undefined && /^\d+$/.test(dirArg) && portOpt === undefined && !existsSync(dirArg)) {
    return { dir: '.', port: parsePort(dirArg) };
  }
  return { dir: dirArg ?? '.', port: portOpt === undefined ? 8000 : parsePort(String(portOpt), '--port') };
}

async function serve(dirArg: string | undefined, opts: Record<string, unknown>): Promise<CommandResult> {
  const { dir, port } = folderAndPort(dirArg, opts.port);
  const root = path.resolve(dir);
  if (!existsSync(root)) throw new UsageError(`the folder to serve, '${dir}', does not exist`);
  if (!statSync(root).isDirectory()) throw new UsageError(`'${dir}' is a file; give the folder that holds it`);
  // started by a script from / or $HOME, serving would expose the whole disk or home folder
  if (dirArg === undefined && !process.stdin.isTTY && (root === path.parse(root).root || root === homedir())) {
    throw new UsageError(`refusing to serve ${root} without being asked: name the folder, as in sockit serve ${root}`);
  }
  const host = opts.host === undefined ? undefined : parseHost(String(opts.host), '--host');
  const dotfiles = String(opts.dotfiles) as DotfilePolicy;
  if (!['allow', 'deny', 'ignore'].includes(dotfiles)) throw new UsageError(`--dotfiles must be allow, deny or ignore, got '${opts.dotfiles}'`);
  const cacheSeconds = opts.cache === undefined ? undefined : parseInteger(String(opts.cache), '--cache', 0);
  const authSpec = (opts.auth as string | undefined) ?? process.env.SOCKIT_AUTH;
  const auth = authSpec ? parseCredentials(authSpec, opts.auth ? '--auth' : 'SOCKIT_AUTH') : undefined;
  const idleTimeoutMs = secondsOption(opts.timeout, '--timeout')!;
  const maxConnections = parseInteger(String(opts.maxConns), '--max-conns', 1);
  const maxUploadBytes = parseSize(String(opts.maxUpload), '--max-upload', 1);
  const json = Boolean(opts.json);
  const color = colorWanted(process.stdout, opts.color as boolean | undefined);
  const tls = opts.tls || opts.cert || opts.key ? await loadTlsMaterial({ certPath: opts.cert as string, keyPath: opts.key as string, names: host ? [host] : [] }) : undefined;

  const server = new StaticServer({
    root, port, host,
    cors: Boolean(opts.cors), cacheSeconds, spa: Boolean(opts.spa), dotfiles,
    listing: opts.listing !== false, followSymlinks: Boolean(opts.followSymlinks),
    auth, upload: Boolean(opts.upload), maxUploadBytes, compress: opts.compress !== false,
    tls: tls ? { key: tls.key, cert: tls.cert } : undefined,
    idleTimeoutMs, headersTimeoutMs: Math.min(idleTimeoutMs, 60_000), maxConnections,
    allowedHosts: opts.allowHost as string[] | undefined,
    accessLog: !opts.quiet,
  });
  const out = new LineWriter(process.stdout);
  const err = new LineWriter(process.stderr);
  const c = makePalette(color);
  const render = createEventRenderer(out, { json, hex: false, color });
  const quiet = Boolean(opts.quiet);
  server.on('event', (e) => {
    if (json) return render(e);
    if (e.event === 'listening' || e.event === 'summary') return;
    if (quiet && e.event === 'request') return;
    render(e);
  });
  await server.listen();

  const urls = server.urls();
  if (!json) {
    out.line(c.sys(`serving ${root}${tls?.selfSigned ? ' (HTTPS, self-signed certificate)' : ''}`));
    for (const url of urls) {
      const local = isLoopbackHost(new URL(url).hostname.replace(/^\[|\]$/g, ''));
      out.line(`  ${local ? 'Local:  ' : c.bold('Network:')} ${url}`);
    }
    if (!urls.some((u) => !isLoopbackHost(new URL(u).hostname.replace(/^\[|\]$/g, '')))) out.line(c.dim('  on this machine only; -H 0.0.0.0 shares it on the network'));
  }
  out.flush();
  const exposed = server.addresses.some((a) => !isLoopbackHost(a));
  if (auth && !tls && exposed) err.line(c.err('warning: --auth over plain HTTP on the network sends the password readable by anyone on the way; add --tls'));
  if (opts.upload && exposed) err.line(c.err('warning: --upload on the network lets anyone who can reach this machine write into the folder'));
  if (opts.open) openBrowser(urls[0]!, err);
  err.flush();

  const unregister = onStopSignal(() => void server.close());
  await server.closed;
  unregister();
  out.flush();
  return 0;
}

/** Opens the system browser; where there is none (a server, a container) it says so and goes on. */
function openBrowser(url: string, err: LineWriter): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  let noted = false;
  const note = () => {
    if (noted) return;
    noted = true;
    err.line(`could not open a browser (${cmd} failed or is not available here); open ${url} yourself`);
    err.flush();
  };
  try {
    const child = spawn(cmd as string, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', note);
    // xdg-open without a desktop exits non-zero rather than failing to start
    child.on('exit', (code) => code && note());
    child.unref();
  } catch {
    note();
  }
}
