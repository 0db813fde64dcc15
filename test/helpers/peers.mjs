// What the suite talks to, and the one place that decides what a missing peer means: a skip that says why on a developer machine, a failure with CI=true.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** True when the suite runs in CI, where every test must really run. */
export const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** True when a program is on PATH. */
export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

const command = (name, pkg = name) => () => (hasCommand(name) ? undefined : `${name} is not installed (apt-get install ${pkg})`);

/**
 * The python3 that runs the peers: the system's where there is one, as the peers need nothing
 * beyond the standard library; a version manager's shim on PATH (pyenv) costs seconds per start
 * on a busy machine.
 */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Each peer: a check that returns why it cannot be used here, or undefined when it can. */
const PEERS = {
  chromium: () => (existsSync('/usr/bin/chromium') ? undefined : 'no Chromium at /usr/bin/chromium (apt-get install chromium)'),
  nc: command('nc', 'netcat-openbsd'),
  socat: command('socat'),
  curl: command('curl'),
  openssl: command('openssl'),
  python3: () => (PYTHON !== 'python3' || hasCommand('python3') ? undefined : 'python3 is not installed (apt-get install python3)'),
  // Debian's Locust master, with the msgpack it speaks, under /usr/bin/python3
  locust: () => (existsSync('/usr/bin/locust') ? undefined : 'no Locust at /usr/bin/locust (apt-get install python3-locust)'),
  // Debian's python3 with Debian's websockets (the pyenv python3 on PATH does not have it)
  'python3-websockets': () => (spawnSync('/usr/bin/python3', ['-c', 'import websockets']).status === 0 ? undefined : "Debian's python3-websockets is not installed (apt-get install python3-websockets)"),
  slowhttptest: command('slowhttptest'),
  tshark: command('tshark'),
  // a network namespace of its own, with no way out: a resolver that cannot be reached
  'unshare-net': () => (spawnSync('unshare', ['-n', 'true']).status === 0 ? undefined : 'unshare -n is not permitted here (it needs CAP_SYS_ADMIN or user namespaces)'),
  // a child without CAP_NET_BIND_SERVICE, on a machine where ports below 1024 are privileged
  'unprivileged-child': () => {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (start <= 80) return `every port from ${start} up is open to everyone here (net.ipv4.ip_unprivileged_port_start), port 80 included`;
    const [cmd, args] = unprivileged(['true']);
    if (spawnSync(cmd, args).status !== 0) return 'setpriv cannot drop capabilities here (apt-get install util-linux)';
    return undefined;
  },
};

/**
 * The command that runs `argv` as this same user without any capability (CAP_NET_BIND_SERVICE
 * among them) and unable to gain one from file capabilities. Keeping the user, rather than
 * switching to nobody, lets the child read the checkout wherever it sits (a mode-700 home
 * folder, a mktemp -d clone). Returns [command, args].
 */
export function unprivileged(argv) {
  const drop = ['--no-new-privs', '--inh-caps=-all', '--ambient-caps=-all'];
  // root gains every capability in its bounding set at exec: empty it
  if (process.getuid?.() === 0) drop.push('--bounding-set=-all');
  return ['setpriv', [...drop, '--', ...argv]];
}

const known = new Map();

/** Why `name` cannot be used on this machine, or undefined when it can. */
export function whyMissing(name) {
  const check = PEERS[name];
  if (!check) throw new Error(`unknown peer '${name}'; known: ${Object.keys(PEERS).join(', ')}`);
  if (!known.has(name)) known.set(name, check());
  return known.get(name);
}

/**
 * Decides for a test that cannot run here because of `reason`: with CI=true it fails; elsewhere
 * it is skipped with the reason printed. Returns false, so a test can `return unavailable(t, …)`.
 */
export function unavailable(t, reason) {
  if (IN_CI) throw new Error(`${reason}; with CI=true this is a failure, not a skip`);
  t.skip(reason);
  return false;
}

/** True when `name` can be used; otherwise skips the test with the reason (fails it in CI) and returns false. */
export function requirePeer(t, name) {
  const reason = whyMissing(name);
  return reason === undefined ? true : unavailable(t, reason);
}

/**
 * For a `test()` or `describe()` option: false when `name` is there, the reason to skip when not.
 * In CI a missing peer throws here, so the whole file fails with the reason.
 */
export function skipUnless(name) {
  const reason = whyMissing(name);
  if (reason === undefined) return false;
  if (IN_CI) throw new Error(`${reason}; with CI=true this is a failure, not a skip`);
  return reason;
}
