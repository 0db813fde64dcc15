// Plays a scenario: each step in order (repeats and parallel branches too) on real connections, timed, with what arrived kept for the report.
import { readFileSync } from 'node:fs';
import { SockitError, UsageError } from '../errors.js';
import type { Session } from '../net/session.js';
import { encodeText, resolveEncoding } from '../wire/codec.js';
import { parseHost, parsePort } from '../wire/endpoint.js';
import { parseHex } from '../wire/hex.js';
import { compileMessage } from '../wire/message.js';
import { parseWsUrl } from '../wire/ws-url.js';
import { compileExpectation } from './expectation.js';
import { endSession, Link, Listener, openLink, type LinkTarget } from './links.js';
import { checkScenario, stepKind, type ConnectTarget, type ListenTarget, type ScenarioProtocol, type ScenarioSpec, type StepKind, type StepSpec } from './scenario-format.js';

/** How one step went. */
export interface StepResult {
  /** Where the step is in the file: `steps[3]`, `steps[2].steps[0]#2` (the second repeat). */
  path: string;
  kind: StepKind;
  /** The step in words. */
  description: string;
  ok: boolean;
  /** When it began, ms after the scenario did; how long it took. */
  startMs: number;
  ms: number;
  /** Why it failed. */
  error?: string;
  /** An expect that failed: what was expected and what had arrived. */
  expected?: { description: string; bytes?: Buffer; wildcard?: boolean[] };
  arrived?: Buffer;
  /** The first byte that differs, when one does. */
  at?: number;
  /** The variables a regex captured. */
  captures?: Record<string, string>;
}

/** How a scenario went. */
export interface ScenarioResult {
  name: string;
  ok: boolean;
  steps: StepResult[];
  durationMs: number;
  /** The variables at the end (captures included). */
  vars: Record<string, string>;
  encoding: string;
}

/** What a run may be told and hear. */
export interface RunOptions {
  /** Variables replacing the file's defaults (`--var`). */
  vars?: Record<string, string | number>;
  /** Stops the run (a fake server's `repeat: forever`, Ctrl-C): the step in progress fails and the rest are skipped. */
  signal?: AbortSignal;
  /** Hears each step as it ends, and each listener as it binds. */
  onStep?: (r: StepResult) => void;
  onListening?: (name: string, protocol: ScenarioProtocol, port: number) => void;
  /** Scales every `sleep` (0: none); replay uses it for --speed and --fast. */
  sleepScale?: number;
}

const DEFAULT_WITHIN = 5000;

/** Thrown to end a branch at a failed step. */
class StepFailed extends Error {}

interface Branch {
  vars: Record<string, string>;
  link: Link | undefined;
}

/** Replaces `{name}` in an address with its variable; an unknown name is an error naming the step. */
function interpolate(text: string, vars: Record<string, string>, where: string): string {
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => {
    if (!(k in vars)) throw new UsageError(`${where}: no variable {${k}}; give it in vars or with --var ${k}=...`);
    return vars[k]!;
  });
}

function describe(step: StepSpec): string {
  if (typeof step === 'string') return step;
  const kind = stepKind(step);
  const v = (step as Record<string, unknown>)[kind];
  if (kind === 'repeat' || kind === 'parallel') return `${kind} ${Array.isArray(v) ? `${v.length} branches` : String(v)}`;
  if (v === null || v === undefined || v === true) return kind;
  return `${kind} ${typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v)}`;
}

class Run {
  readonly results: StepResult[] = [];
  readonly sessions: Session[] = [];
  readonly listeners = new Map<string, Listener>();
  readonly started = Date.now();
  readonly within: number;

  constructor(
    readonly spec: ScenarioSpec,
    readonly encoding: string,
    readonly options: RunOptions,
  ) {
    this.within = spec.within ?? DEFAULT_WITHIN;
  }

  get aborted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  async steps(steps: StepSpec[], path: string, b: Branch, suffix = ''): Promise<void> {
    for (let i = 0; i < steps.length; i++) {
      if (this.aborted) throw new StepFailed('stopped');
      await this.step(steps[i]!, `${path}[${i}]${suffix}`, b);
    }
  }

  async step(step: StepSpec, path: string, b: Branch): Promise<void> {
    const kind = stepKind(step);
    const s = step as Record<string, unknown>;
    if (kind === 'repeat') {
      const n = s.repeat === 'forever' ? Infinity : (s.repeat as number);
      for (let i = 1; i <= n && !this.aborted; i++) {
        b.vars.i = String(i);
        await this.steps(s.steps as StepSpec[], `${path}.steps`, b, `#${i}`);
      }
      return;
    }
    if (kind === 'parallel') {
      const branches = Array.isArray(s.parallel) ? (s.parallel as StepSpec[][]) : Array.from({ length: s.parallel as number }, () => s.steps as StepSpec[]);
      const outcomes = await Promise.allSettled(
        branches.map((steps, i) => this.steps(steps, Array.isArray(s.parallel) ? `${path}.parallel[${i}]` : `${path}.steps`, { vars: { ...b.vars, i: String(i + 1) }, link: b.link }, Array.isArray(s.parallel) ? '' : `@${i + 1}`)),
      );
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return;
    }
    const r: StepResult = { path, kind, description: describe(step), ok: true, startMs: Date.now() - this.started, ms: 0 };
    const t0 = performance.now();
    try {
      await this.act(kind, s, step, path, b, r);
    } catch (err) {
      r.ok = false;
      r.error ??= err instanceof StepFailed || err instanceof SockitError ? err.message : String((err as Error)?.message ?? err);
      if (err instanceof UsageError && !(err instanceof StepFailed)) {
        this.finishStep(r, t0);
        throw err;
      }
    }
    this.finishStep(r, t0);
    if (!r.ok) throw new StepFailed(r.error);
  }

  private finishStep(r: StepResult, t0: number): void {
    r.ms = Math.round((performance.now() - t0) * 10) / 10;
    this.results.push(r);
    this.options.onStep?.(r);
  }

  private link(b: Branch, path: string): Link {
    if (!b.link) throw new StepFailed(`${path}: no connection yet; connect or accept first`);
    return b.link;
  }

  private async act(kind: StepKind, s: Record<string, unknown>, step: StepSpec, path: string, b: Branch, r: StepResult): Promise<void> {
    switch (kind) {
      case 'connect':
        b.link = await openLink(this.target(s.connect as ConnectTarget, b.vars, `${path}.connect`), this.sessions);
        return;
      case 'listen': {
        const { protocol, port, host, path: wsPath } = this.listenTarget(s.listen as ListenTarget, b.vars, `${path}.listen`);
        const name = (s.as as string | undefined) ?? 'server';
        const l = await Listener.open(protocol, port, host, wsPath, this.sessions);
        this.listeners.set(name, l);
        b.vars[`${name}_port`] = String(l.port);
        this.options.onListening?.(name, protocol, l.port);
        return;
      }
      case 'accept': {
        const name = (s.accept as string | undefined) ?? (this.listeners.size === 1 ? [...this.listeners.keys()][0]! : 'server');
        const l = this.listeners.get(name);
        if (!l) throw new StepFailed(`${path}: no listener '${name}'; listen first`);
        const within = (s.within as number | undefined) ?? (this.options.signal ? 2 ** 31 - 1 : this.within);
        const link = await Promise.race([l.accept(within), this.abortPromise()]);
        if (!link) throw new StepFailed(`nobody connected within ${within} ms`);
        b.link = link;
        b.vars.peer = link.peer;
        return;
      }
      case 'send': {
        const bytes = this.sendBytes(s.send as string | Record<string, string>, b.vars, `${path}.send`);
        await this.link(b, path).send(bytes);
        return;
      }
      case 'expect':
        return this.expect(s, path, b, r);
      case 'sleep': {
        const ms = (s.sleep as number) * (this.options.sleepScale ?? 1);
        if (ms > 0) await Promise.race([new Promise((res) => setTimeout(res, ms)), this.abortPromise()]);
        return;
      }
      case 'close':
      case 'reset': {
        const link = this.link(b, path);
        await (kind === 'close' ? link.close() : link.reset());
        return;
      }
      default:
        throw new UsageError(`${path}: ${describe(step)} is not a step`);
    }
  }

  private abortPromise(): Promise<undefined> {
    const signal = this.options.signal;
    if (!signal) return new Promise(() => {});
    return new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', () => resolve(undefined), { once: true })));
  }

  private async expect(s: Record<string, unknown>, path: string, b: Branch, r: StepResult): Promise<void> {
    const within = (s.within as number | undefined) ?? this.within;
    const e = compileExpectation(s.expect as never, b.vars, this.encoding, `${path}.expect`);
    r.description = `expect ${e.description}`;
    const link = this.link(b, path);
    const deadline = Date.now() + within;
    for (;;) {
      const arrived = link.pending;
      const c = e.check(arrived, link.closed && !(link.whole && link.hasPending), link.whole && link.hasPending);
      if (c.status === 'pass') {
        link.take(c.consumed);
        if (c.captures) {
          Object.assign(b.vars, c.captures);
          r.captures = c.captures;
        }
        return;
      }
      if (c.status === 'fail' || Date.now() >= deadline || this.aborted) {
        r.expected = { description: e.description, bytes: e.bytes, wildcard: e.wildcard };
        r.arrived = Buffer.from(arrived);
        if (c.status === 'fail') {
          r.at = c.at;
          r.error = `expected ${e.description}; ${c.why}`;
        } else {
          r.error = `expected ${e.description} within ${within} ms; ${arrived.length ? `${arrived.length} bytes arrived that do not complete it` : link.closed ? `the connection closed (${link.closeReason})` : 'nothing arrived'}`;
        }
        throw new StepFailed(r.error);
      }
      await link.changed(Math.min(deadline - Date.now(), 1000));
    }
  }

  private sendBytes(spec: string | Record<string, string>, vars: Record<string, string>, where: string): Buffer {
    if (typeof spec === 'object' && spec.hex !== undefined) return Buffer.from(parseHex(interpolate(spec.hex, vars, where), `${where}.hex`));
    if (typeof spec === 'object' && spec.file !== undefined) {
      try {
        return readFileSync(spec.file);
      } catch (err) {
        throw new SockitError('SOCKIT_ERR_FILE', `${where}.file: cannot read '${spec.file}': ${(err as Error).message}`, { cause: err, exitCode: 2 });
      }
    }
    const text = typeof spec === 'string' ? spec : spec.text!;
    const m = compileMessage(text, { name: where, encode: (t) => encodeText(t, this.encoding), captureNames: Object.keys(vars) });
    return Buffer.from(m.render({ captures: vars }));
  }

  private target(t: ConnectTarget, vars: Record<string, string>, where: string): LinkTarget {
    if (typeof t === 'string') {
      const text = interpolate(t, vars, where);
      if (/^wss?:\/\//i.test(text)) {
        const u = parseWsUrl(text);
        return { protocol: 'ws', host: u.host, port: u.port, url: text };
      }
      const m = /^(tcp|udp):\/\/(.+):(\d+)$/i.exec(text) ?? /^()(.+):(\d+)$/.exec(text);
      if (!m) throw new UsageError(`${where}: '${text}' is not tcp://host:port, udp://host:port or ws://host:port/path`);
      return { protocol: (m[1]?.toLowerCase() || 'tcp') as ScenarioProtocol, host: parseHost(m[2]!.replace(/^\[|\]$/g, ''), where), port: parsePort(m[3]!, where, { allowZero: false }) };
    }
    if (t.url !== undefined) return this.target(t.url, vars, where);
    const protocol = t.protocol ?? 'tcp';
    const host = parseHost(interpolate(String(t.host ?? '127.0.0.1'), vars, `${where}.host`), `${where}.host`);
    const port = parsePort(interpolate(String(t.port ?? ''), vars, `${where}.port`), `${where}.port`, { allowZero: false });
    return { protocol, host, port };
  }

  private listenTarget(t: ListenTarget, vars: Record<string, string>, where: string): { protocol: ScenarioProtocol; port: number; host?: string; path?: string } {
    if (typeof t !== 'object') return { protocol: 'tcp', port: parsePort(interpolate(String(t), vars, where), where) };
    const host = t.host === undefined ? undefined : parseHost(interpolate(String(t.host), vars, `${where}.host`), `${where}.host`);
    return { protocol: t.protocol ?? 'tcp', port: parsePort(interpolate(String(t.port ?? 0), vars, `${where}.port`), `${where}.port`), host, path: t.path };
  }
}

/**
 * Plays a scenario against real peers. Resolves with every step's result (failures included);
 * rejects only when the scenario itself is wrong (a usage error naming the step).
 */
export async function runScenario(input: ScenarioSpec, options: RunOptions = {}): Promise<ScenarioResult> {
  const spec = checkScenario(input);
  const encoding = resolveEncoding(spec.encoding ?? 'utf8', 'encoding');
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...spec.vars, ...options.vars })) vars[k] = String(v);
  const run = new Run(spec, encoding, options);
  let usage: unknown;
  try {
    await run.steps(spec.steps, 'steps', { vars, link: undefined });
  } catch (err) {
    if (!(err instanceof StepFailed)) usage = err;
  } finally {
    await Promise.allSettled(run.sessions.map((s) => (s.ended ? undefined : endSession(s))));
  }
  if (usage) throw usage;
  return { name: spec.name ?? 'scenario', ok: run.results.every((r) => r.ok), steps: run.results, durationMs: Date.now() - run.started, vars, encoding };
}
