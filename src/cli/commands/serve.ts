// `sockit serve`: the CLI face of the static web server session.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { parsePort, parseSize } from '../../wire/endpoint.js';
import { UsageError } from '../../errors.js';
import { parseCredentials } from '../../http/auth.js';
import type { StaticServerOptions } from '../../http/static-server.js';
import { isLoopbackHost } from '../../net/address.js';
import { exposuresOf, servesWholeTree } from '../../net/exposure.js';
import {
  addCaptureOption, addCertOptions, addOutputOptions, collect, loadServerTls, Output, RawOptions, readOutputOptions, readServerTlsOptions, startCapture,
  type CommandResult, type OutputOptions, type Runner, type ServerTlsOptions,
} from '../command.js';
import { openBrowser } from '../browser.js';
import { declared, subcommand } from '../declare.js';
import { onStopSignal } from '../signals.js';

/** Registers `serve`. */
export function registerServe(program: Command, run: Runner): void {
  const serve = subcommand(program, 'serve', 'static web server for a folder, on localhost unless -H says otherwise (like python3 -m http.server, faster and safer)', ['[dir]', 'folder to serve (default: the current one); a number is the port when no folder has that name'])
    .option('-p, --port <port>', 'port to listen on (default 8000; 0: any free port)')
    .option('-H, --host <host>', 'address to listen on (default: 127.0.0.1 and ::1; 0.0.0.0 or :: shares the folder on the network)')
    .option('--cors', 'send Access-Control-Allow-Origin: * and answer preflights')
    .option('--cache <seconds>', 'Cache-Control: public, max-age=<seconds> (default: no-cache, always revalidate)')
    .option('--spa', 'single-page app: paths without a file answer with /index.html')
    .option('--dotfiles <policy>', 'names starting with a dot: ignore (404, not listed), deny (403) or allow', 'ignore')
    .option('--no-listing', 'no folder listings: 404 where a folder has no index.html')
    .option('--follow-symlinks', 'serve symlinks whose target is outside the folder (refused by default)')
    .option('--auth <user:pass>', 'require HTTP Basic auth; user:sha256:<hex> keeps the password off the command line (or set SOCKIT_AUTH)')
    .option('--tls', 'HTTPS with a self-signed certificate made on the fly (unless --cert/--key)');
  addCertOptions(serve)
    .option('--upload', 'accept uploads: PUT a file, or POST multipart/form-data to a folder (the listing gets a form)')
    .option('--max-upload <size>', 'largest upload', '1GiB')
    .option('--no-compress', 'never compress responses')
    .option('--timeout <s>', 'close connections silent this long; request headers must arrive within the same time (60 s at most)', '30')
    .option('--max-conns <n>', 'connections at once, over every address; at the cap the oldest idle one makes room', '1024')
    .option('--allow-host <name>', 'on a localhost server, accept this Host name too (repeatable; others get 403, against DNS rebinding)', collect)
    .option('--open', 'open the browser at the server')
    .option('-q, --quiet', 'no access log');
  addCaptureOption(addOutputOptions(serve), 'every request answered');
  declared(serve, [
    'sockit serve',
    'sockit serve dist -p 0',
    'sockit serve inbox --upload --auth ann:s3cret --tls',
  ], (dir: string | undefined, raw: RawOptions) => run(() => runServe(readServeOptions(dir, raw))));
}

/** `sockit serve 8080` means port 8080, unless a folder is called that. */
function folderAndPort(dirArg: string | undefined, portOpt: string | undefined): { dir: string; port: number } {
  if (dirArg !== undefined && /^\d+$/.test(dirArg) && portOpt === undefined && !existsSync(dirArg)) {
    return { dir: '.', port: parsePort(dirArg) };
  }
  return { dir: dirArg ?? '.', port: portOpt === undefined ? 8000 : parsePort(portOpt, '--port') };
}

/** `serve`'s options, typed. */
interface ServeOptions {
  server: StaticServerOptions;
  tls: ServerTlsOptions;
  output: OutputOptions;
  quiet: boolean;
  open: boolean;
  capture?: string;
}

function readServeOptions(dirArg: string | undefined, raw: RawOptions): ServeOptions {
  const { dir, port } = folderAndPort(dirArg, raw.text('port'));
  const root = path.resolve(dir);
  if (!existsSync(root)) throw new UsageError(`the folder to serve, '${dir}', does not exist`);
  if (!statSync(root).isDirectory()) throw new UsageError(`'${dir}' is a file; give the folder that holds it`);
  // started by a script from / or $HOME, serving would expose the whole disk or home folder
  if (dirArg === undefined && !process.stdin.isTTY && servesWholeTree(root)) {
    throw new UsageError(`refusing to serve ${root} without being asked: name the folder, as in sockit serve ${root}`);
  }
  const host = raw.host();
  const dotfiles = raw.text('dotfiles');
  if (dotfiles !== 'allow' && dotfiles !== 'deny' && dotfiles !== 'ignore') throw new UsageError(`--dotfiles must be allow, deny or ignore, got '${dotfiles}'`);
  const cacheSeconds = raw.whole('cache', '--cache', 0);
  const authFlag = raw.text('auth');
  const authSpec = authFlag ?? process.env.SOCKIT_AUTH;
  const auth = authSpec ? parseCredentials(authSpec, authFlag ? '--auth' : 'SOCKIT_AUTH') : undefined;
  const idleTimeoutMs = raw.seconds('timeout', '--timeout')!;
  const maxConnections = raw.whole('maxConns', '--max-conns', 1)!;
  const maxUploadBytes = parseSize(raw.text('maxUpload') ?? '', '--max-upload', 1);
  const quiet = raw.flag('quiet');
  const server: StaticServerOptions = {
    root, port, host,
    cors: raw.flag('cors'), cacheSeconds, spa: raw.flag('spa'), dotfiles,
    listing: raw.flag('listing'), followSymlinks: raw.flag('followSymlinks'),
    auth, upload: raw.flag('upload'), maxUploadBytes, compress: raw.flag('compress'),
    idleTimeoutMs, headersTimeoutMs: Math.min(idleTimeoutMs, 60_000), maxConnections,
    allowedHosts: raw.list('allowHost'),
    accessLog: !quiet,
  };
  return { server, tls: readServerTlsOptions(raw), output: readOutputOptions(raw), quiet, open: raw.flag('open'), capture: raw.text('capture') };
}

async function runServe(o: ServeOptions): Promise<CommandResult> {
  const tls = await loadServerTls(o.tls, o.server.host);
  // loaded when used: the static server's modules stay out of other commands' start-up
  const { StaticServer } = await import('../../http/static-server.js');
  const server = new StaticServer({ ...o.server, tls: tls ? { key: tls.key, cert: tls.cert } : undefined });
  const output = new Output(o.output);
  const { out, err, c } = output;
  const render = output.renderer({ hex: false });
  server.on('event', (e) => {
    if (output.json) return render(e);
    if (e.event === 'listening' || e.event === 'summary') return;
    if (o.quiet && e.event === 'request') return;
    render(e);
  });
  const capture = startCapture(server, o.capture);
  await server.listen();

  const urls = server.urls();
  const root = o.server.root;
  if (!output.json) {
    out.line(c.sys(`serving ${root}${tls?.selfSigned ? ' (HTTPS, self-signed certificate)' : ''}`));
    for (const url of urls) {
      const local = isLoopbackHost(new URL(url).hostname.replace(/^\[|\]$/g, ''));
      out.line(`  ${local ? 'Local:  ' : c.bold('Network:')} ${url}`);
    }
    if (!urls.some((u) => !isLoopbackHost(new URL(u).hostname.replace(/^\[|\]$/g, '')))) out.line(c.dim('  on this machine only; -H 0.0.0.0 shares it on the network'));
  }
  out.flush();
  const exposed = server.addresses.some((a) => !isLoopbackHost(a));
  if (o.server.auth && !tls && exposed) err.line(c.err('warning: --auth over plain HTTP on the network sends the password readable by anyone on the way; add --tls'));
  if (o.server.upload && exposed) err.line(c.err('warning: --upload on the network lets anyone who can reach this machine write into the folder'));
  // the rule the page asks by before it starts such a server
  for (const x of exposuresOf({ root })) err.line(c.err(`warning: ${x.message}`));
  if (o.open) {
    openBrowser(urls[0]!, (why) => {
      err.line(`${why}; open ${urls[0]} yourself`);
      err.flush();
    });
  }
  err.flush();

  const unregister = onStopSignal(() => void server.close());
  await server.closed;
  unregister();
  out.flush();
  await capture?.finish();
  return 0;
}
