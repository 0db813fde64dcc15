// The workspace's part of the page protocol: the sockit.json document as the page edits it, and the requests that open and save it.
import type { SessionSpec, WireRule } from './protocol.js';
import type { QuickMessage, Sequence } from '../wire/quick.js';

/** The file a workspace is kept in when none is named. */
export const WORKSPACE_FILE = 'sockit.json';

/** A quick message kept in a workspace: the page's own shape (one click sends it), with any fields sockit does not know. */
export type WorkspaceQuick = QuickMessage & { [unknown: string]: unknown };

/** A named session of a workspace: a spec as the page creates one, with a `name`; `rules` may name a rule set of the file. */
export type WorkspaceSession = (Omit<SessionSpec, 'encoding' | 'frame' | 'rules'> & { encoding?: string; frame?: string; rules?: WireRule[] | string }) & {
  name: string;
  [unknown: string]: unknown;
};

/** A scenario of a workspace: a file beside it, or its steps inline. */
export interface WorkspaceScenario {
  name: string;
  file?: string;
  [unknown: string]: unknown;
}

/** `sockit.json` as it is on disk; fields sockit does not know are kept as they are. */
export interface WorkspaceDoc {
  sessions?: WorkspaceSession[];
  /** Rule sets by name, for sessions whose `rules` names one. */
  rules?: Record<string, WireRule[]>;
  quick?: WorkspaceQuick[];
  /** Sequences of messages, as the page keeps them. */
  sequences?: Sequence[];
  scenarios?: WorkspaceScenario[];
  [unknown: string]: unknown;
}

/** A workspace as the bridge hands it to the page. */
export interface WorkspaceState {
  /** The file's path. */
  file: string;
  /** The document (empty when the file does not exist yet: the first save creates it). */
  doc: WorkspaceDoc;
  /** What the file held when it was read: a save with another version is refused rather than overwriting a change made on disk. */
  version: string;
}

/** Read the workspace file again. */
export interface PageWorkspaceOpen {
  type: 'workspace-open';
  req: number;
}

/** Write the workspace file; refused when it changed on disk since `version` was read, unless `force`. */
export interface PageWorkspaceSave {
  type: 'workspace-save';
  req: number;
  doc: WorkspaceDoc;
  version: string;
  force?: boolean;
}

/** The error code of a save refused because the file changed on disk since the page read it. */
export const WORKSPACE_CHANGED = 'SOCKIT_ERR_WORKSPACE_CHANGED';

/** Start the workspace's session `name` as the file describes it now. */
export interface PageWorkspaceStart {
  type: 'workspace-start';
  req: number;
  name: string;
  /** The person confirmed what the session exposes (every interface, a whole disk served), as a create's `confirm`. */
  confirm?: boolean;
}

/** The fields of a session spec, of every kind: a session saved over another of the same name replaces these and keeps the rest. */
export const SPEC_FIELDS: readonly string[] = [
  'kind', 'host', 'port', 'encoding', 'frame', 'welcome', 'reply', 'quit', 'echo', 'closeAfterReply', 'chat', 'rules', 'remote', 'root',
  'listing', 'path', 'subprotocols', 'origins', 'url', 'origin', 'headers', 'insecure', 'target', 'udp', 'ws', 'faults', 'saveTo', 'overwrite',
  'reconnect',
];

/** The fields of a quick message sockit reads. */
export const QUICK_FIELDS: readonly string[] = ['id', 'label', 'mode', 'text', 'eol', 'escapes'];

/** `entry` with the fields in `known` taken out: what sockit does not read, kept when a newer version of the entry replaces the rest. */
export function unknownFields<T extends object>(entry: T | undefined, known: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry ?? {})) if (!known.includes(k)) out[k] = v;
  return out as Partial<T>;
}
