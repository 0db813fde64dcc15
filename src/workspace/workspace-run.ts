// Starting a workspace's sessions in one process (what `sockit up` runs): each through the bridge's driver for its kind, stopped together.
import { SockitError } from '../errors.js';
import type { Session, SessionEvent } from '../net/session.js';
import { parseFrame } from '../wire/framing.js';
import { createDriver, type Driver } from '../bridge/drivers.js';
import type { SessionInfo, SessionSpec } from '../bridge/protocol.js';
import { workspaceSession, type Workspace } from './workspace-file.js';

/** One running session of a workspace. */
export interface RunningEntry {
  name: string;
  spec: SessionSpec;
  session: Session;
  /** Where it listens or what it reached, once started. */
  describe(): Partial<SessionInfo>;
}

/** The sessions `startWorkspace` started. */
export interface WorkspaceRun {
  sessions: RunningEntry[];
  /** Stops every session; what is queued gets `graceMs` to go out. */
  close(graceMs?: number): Promise<void>;
  /** Resolves once every session has closed. */
  readonly closed: Promise<void>;
}

/** How `startWorkspace` reports. */
export interface StartWorkspaceOptions {
  /** Hears every event of every session before it starts (`e.session` is the session's name). */
  onEvent?: (name: string, e: SessionEvent) => void;
}

/**
 * Starts the named sessions of a workspace (all of them when `names` is empty), one after the
 * other, each named by its workspace name. When one cannot start, those already started are
 * stopped and the error names the session.
 */
export async function startWorkspace(ws: Workspace, names: readonly string[] = [], options: StartWorkspaceOptions = {}): Promise<WorkspaceRun> {
  const entries = names.length ? [...new Set(names)].map((n) => workspaceSession(ws, n)) : ws.sessions;
  const started: { entry: RunningEntry; driver: Driver }[] = [];
  const close = (graceMs?: number) => Promise.all(started.map((s) => s.driver.close(graceMs))).then(() => undefined);
  for (const { name, spec } of entries) {
    const frame = 'frame' in spec ? parseFrame(spec.frame, 'frame') : { kind: 'raw' as const };
    const driver = createDriver(spec, { name, frame });
    if (options.onEvent) {
      const onEvent = options.onEvent;
      driver.session.on('event', (e: SessionEvent) => onEvent(name, e));
    }
    try {
      await driver.start();
    } catch (err) {
      await close(0);
      throw named(name, err);
    }
    started.push({ entry: { name, spec, session: driver.session, describe: () => driver.describe() }, driver });
  }
  return {
    sessions: started.map((s) => s.entry),
    close,
    closed: Promise.all(started.map((s) => s.driver.session.closed)).then(() => undefined),
  };
}

/** The error with the session's name in front, its code and exit code kept. */
function named(name: string, err: unknown): unknown {
  if (!(err instanceof SockitError)) return err;
  return new SockitError(err.code, `${name}: ${err.message}`, { hint: err.hint, cause: err, exitCode: err.exitCode });
}
