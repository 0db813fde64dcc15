// Workspaces: sockit.json read and checked with the bridge's own spec checks, and written back with every field it had.
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SockitError, UsageError } from '../errors.js';
import { normaliseSpec } from '../bridge/spec.js';
import { checkWireRules } from '../bridge/rules-spec.js';
import { describeValue, toWireError } from '../bridge/hub-error.js';
import { parseHex } from '../wire/hex.js';
import { checkQuickMessages, checkSequences } from '../wire/quick.js';
import { checkScenario, loadScenario, type ScenarioSpec } from '../scenario/scenario-format.js';
import type { SessionSpec, WireRule } from '../bridge/protocol.js';
import type { WorkspaceDoc, WorkspaceQuick, WorkspaceScenario, WorkspaceState } from '../bridge/protocol-workspace.js';

export type { WorkspaceDoc, WorkspaceQuick, WorkspaceScenario, WorkspaceSession, WorkspaceState } from '../bridge/protocol-workspace.js';

export { WORKSPACE_FILE } from '../bridge/protocol-workspace.js';
import { WORKSPACE_FILE } from '../bridge/protocol-workspace.js';

/** A session of a workspace, checked: its name and the spec the bridge and `sockit up` start. */
export interface WorkspaceEntry {
  name: string;
  spec: SessionSpec;
}

/** A workspace read from its file and checked. */
export interface Workspace extends WorkspaceState {
  /** The folder relative paths in it are read from. */
  dir: string;
  /** False when the file does not exist yet. */
  exists: boolean;
  sessions: WorkspaceEntry[];
  quick: WorkspaceQuick[];
  scenarios: WorkspaceScenario[];
}

/** A workspace file that cannot be used: every problem, each naming its field's path. */
export class WorkspaceError extends SockitError {
  /** One sentence a problem, as `sessions[2].port must be a whole number from 0 to 65535, got '70000'`. */
  readonly problems: string[];

  constructor(file: string, problems: string[]) {
    super('SOCKIT_ERR_WORKSPACE', `${file}: ${problems.join('; ')}`, { exitCode: 2 });
    this.name = 'WorkspaceError';
    this.problems = problems;
  }
}

/** What a file's text was when it was read: a save against another version would overwrite someone's change. */
export function workspaceVersion(text: string | undefined): string {
  return text === undefined ? 'absent' : createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

type Fields = Record<string, unknown>;
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (r: Fields, k: string): unknown => (Object.hasOwn(r, k) ? r[k] : undefined);

/** `rules.0.match` (a bridge field) as a path under `prefix`: `sessions[2].rules[0].match`. */
function pathOf(prefix: string, field: string): string {
  return `${prefix}.${field.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`;
}

/** A bridge check's error as a problem at `prefix`: its field replaced by the whole path. */
function problemAt(prefix: string, err: unknown): string {
  const wire = toWireError(err);
  const message = wire.message.replace(/^rule \d+: /, '');
  if (!wire.field) return `${prefix}: ${message}`;
  const path = pathOf(prefix, wire.field);
  if (message.startsWith(`${wire.field}:`) || message.startsWith(`${wire.field} `)) return path + message.slice(wire.field.length);
  return `${path}: ${message}`;
}

/** Checks a list field: absent, or a list of objects each handed to `check`. */
function eachOf(doc: Fields, field: string, problems: string[], check: (item: Fields, at: string) => void): void {
  const list = own(doc, field);
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    problems.push(`${field} must be a list, got ${describeValue(list)}`);
    return;
  }
  list.forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(item)) problems.push(`${at} must be an object, got ${describeValue(item)}`);
    else check(item, at);
  });
}

/** Checks a name: text, not empty, not used twice in its list. */
function checkName(item: Fields, at: string, seen: Set<string>, problems: string[]): string | undefined {
  const name = own(item, 'name');
  if (typeof name !== 'string' || name.trim() === '') {
    problems.push(`${at}.name must be a name, got ${describeValue(name)}`);
    return undefined;
  }
  if (seen.has(name)) problems.push(`${at}.name: ${describeValue(name)} is used twice`);
  seen.add(name);
  return name;
}

function checkRuleSets(doc: Fields, problems: string[]): Map<string, WireRule[]> {
  const sets = new Map<string, WireRule[]>();
  const rules = own(doc, 'rules');
  if (rules === undefined) return sets;
  if (!isRecord(rules)) {
    problems.push(`rules must be an object of rule lists by name, got ${describeValue(rules)}`);
    return sets;
  }
  for (const [name, list] of Object.entries(rules)) {
    try {
      sets.set(name, checkWireRules(list, 'utf8'));
    } catch (err) {
      problems.push(problemAt(`rules.${name}`, err).replace(`rules.${name}.rules`, `rules.${name}`));
    }
  }
  return sets;
}

function checkSessions(doc: Fields, dir: string, sets: Map<string, WireRule[]>, problems: string[]): WorkspaceEntry[] {
  const entries: WorkspaceEntry[] = [];
  const seen = new Set<string>();
  eachOf(doc, 'sessions', problems, (item, at) => {
    const name = checkName(item, at, seen, problems);
    const { name: _name, ...spec } = item;
    const rules = own(item, 'rules');
    if (typeof rules === 'string') {
      const set = sets.get(rules);
      if (!set) return problems.push(`${at}.rules: there is no rule set ${describeValue(rules)} in rules${sets.size ? ` (it has ${[...sets.keys()].join(', ')})` : ''}`);
      spec.rules = set;
    }
    // a folder to serve is found beside the workspace, wherever sockit was started
    const root = own(item, 'root');
    if (spec.kind === 'http' && typeof root === 'string' && root !== '' && !isAbsolute(root)) spec.root = resolve(dir, root);
    try {
      const checked = normaliseSpec(spec as unknown as SessionSpec);
      if (name !== undefined) entries.push({ name, spec: checked });
    } catch (err) {
      problems.push(problemAt(at, err));
    }
  });
  return entries;
}

function checkQuick(doc: Fields, problems: string[]): WorkspaceQuick[] {
  if (own(doc, 'quick') === undefined) return [];
  try {
    // the page's own check: a workspace keeps quick messages in the shape the page does
    const quick = checkQuickMessages(own(doc, 'quick'), 'quick');
    quick.forEach((q, i) => q.mode === 'hex' && parseHex(q.text, `quick[${i}].text`));
    return own(doc, 'quick') as WorkspaceQuick[];
  } catch (err) {
    problems.push((err as Error).message);
    return [];
  }
}

function checkSequenceList(doc: Fields, problems: string[]): void {
  if (own(doc, 'sequences') === undefined) return;
  try {
    checkSequences(own(doc, 'sequences'), 'sequences');
  } catch (err) {
    problems.push((err as Error).message);
  }
}

function checkScenarios(doc: Fields, problems: string[]): WorkspaceScenario[] {
  const scenarios: WorkspaceScenario[] = [];
  const seen = new Set<string>();
  eachOf(doc, 'scenarios', problems, (item, at) => {
    if (checkName(item, at, seen, problems) === undefined) return;
    const file = own(item, 'file');
    if (file !== undefined) {
      if (typeof file !== 'string' || file === '') return problems.push(`${at}.file must be the path of a scenario file, got ${describeValue(file)}`);
    } else {
      try {
        const { name: _n, ...scenario } = item;
        checkScenario(scenario);
      } catch (err) {
        return problems.push(`${at}.${(err as Error).message}`);
      }
    }
    scenarios.push(item as WorkspaceScenario);
  });
  return scenarios;
}

/** Checks a workspace document; the problems name each field's path (empty when it is sound). */
export function checkWorkspace(doc: unknown, dir: string): { problems: string[]; sessions: WorkspaceEntry[]; quick: WorkspaceQuick[]; scenarios: WorkspaceScenario[] } {
  const problems: string[] = [];
  if (!isRecord(doc)) return { problems: [`a workspace is a JSON object with sessions, rules, quick, sequences and scenarios, got ${describeValue(doc)}`], sessions: [], quick: [], scenarios: [] };
  const sets = checkRuleSets(doc, problems);
  const sessions = checkSessions(doc, dir, sets, problems);
  const quick = checkQuick(doc, problems);
  checkSequenceList(doc, problems);
  return { problems, sessions, quick, scenarios: checkScenarios(doc, problems) };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SockitError('SOCKIT_ERR_FILE', `${file}: cannot read it: ${(err as Error).message}`, { cause: err, exitCode: 2 });
  }
}

function parseDoc(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 names a position; people count lines
    const m = /position (\d+)/.exec((err as Error).message);
    const pos = m ? Number(m[1]) : -1;
    const where = pos >= 0 ? ` at line ${text.slice(0, pos).split('\n').length}, column ${pos - text.lastIndexOf('\n', pos - 1)}` : '';
    throw new WorkspaceError(file, [`not JSON${where}: ${(err as Error).message.replace(/ in JSON at position \d+.*$/s, '')}`]);
  }
}

/** How to find and read a workspace. */
export interface LoadWorkspaceOptions {
  /** Where `sockit.json` is looked for when no file is named (default: the working folder). */
  cwd?: string;
  /** A missing file is an empty workspace (the first save creates it) rather than an error. */
  allowMissing?: boolean;
}

/**
 * Reads and checks a workspace (`sockit.json` in `cwd` when `file` is not given). Throws a
 * {@link WorkspaceError} naming every bad field by its path; fields sockit does not know are kept in `doc`.
 */
export function loadWorkspace(file?: string, options: LoadWorkspaceOptions = {}): Workspace {
  const path = resolve(options.cwd ?? process.cwd(), file ?? WORKSPACE_FILE);
  const text = readText(path);
  if (text === undefined && !options.allowMissing) {
    throw new SockitError('SOCKIT_ERR_FILE', `there is no workspace ${path}`, { hint: `write one (see the README's Workspaces), or name it with --workspace <file>`, exitCode: 2 });
  }
  const doc = text === undefined ? {} : parseDoc(path, text);
  const dir = dirname(path);
  const checked = checkWorkspace(doc, dir);
  if (checked.problems.length) throw new WorkspaceError(path, checked.problems);
  return { file: path, dir, exists: text !== undefined, doc: doc as WorkspaceDoc, version: workspaceVersion(text), ...checked };
}

/** How a save treats a file changed meanwhile. */
export interface SaveWorkspaceOptions {
  /** The version the document was read at: if the file has changed since, the save is refused. */
  version?: string;
  /** Write even if the file changed on disk. */
  force?: boolean;
}

/**
 * Checks `doc` and writes it to `file` as indented JSON (fields sockit does not know kept as they
 * are), replacing the file in one step. Refused with SOCKIT_ERR_WORKSPACE_CHANGED when the file
 * changed on disk since `version` was read, unless `force`.
 */
export async function saveWorkspace(file: string, doc: WorkspaceDoc, options: SaveWorkspaceOptions = {}): Promise<Workspace> {
  const path = resolve(file);
  const dir = dirname(path);
  const checked = checkWorkspace(doc, dir);
  if (checked.problems.length) throw new WorkspaceError(path, checked.problems);
  const now = workspaceVersion(readText(path));
  if (options.version !== undefined && !options.force && now !== options.version) {
    throw new SockitError('SOCKIT_ERR_WORKSPACE_CHANGED', `${path} was changed on disk since it was loaded; reload it to see the change, or save again to overwrite it`, { exitCode: 1 });
  }
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    throw new SockitError('SOCKIT_ERR_FILE', `${path}: cannot write it: ${(err as Error).message}`, { cause: err, exitCode: 1 });
  }
  return { file: path, dir, exists: true, doc, version: workspaceVersion(text), ...checked };
}

/** The session `name` of a workspace, or a usage error listing the names it has. */
export function workspaceSession(ws: Workspace, name: string): WorkspaceEntry {
  const entry = ws.sessions.find((s) => s.name === name);
  if (entry) return entry;
  const names = ws.sessions.map((s) => s.name);
  throw new UsageError(`there is no session ${describeValue(name)} in ${ws.file}${names.length ? `; it has ${names.join(', ')}` : '; it has none'}`);
}

/** The scenario `name` of a workspace: its file (beside the workspace) read, or its inline steps; a usage error lists the names it has. */
export function workspaceScenario(ws: Workspace, name: string): ScenarioSpec {
  const entry = ws.scenarios.find((s) => s.name === name);
  if (!entry) {
    const names = ws.scenarios.map((s) => s.name);
    throw new UsageError(`there is no scenario file ${name}, nor a scenario ${describeValue(name)} in ${ws.file}${names.length ? `; it has ${names.join(', ')}` : ''}`);
  }
  if (typeof entry.file === 'string') return loadScenario(resolve(ws.dir, entry.file));
  const { name: _n, ...scenario } = entry;
  return checkScenario({ name, ...scenario });
}

/** The part of a workspace a page sees: its file, document and version. */
function stateOf(ws: Workspace): WorkspaceState {
  return { file: ws.file, doc: ws.doc, version: ws.version };
}

/**
 * What the browser bridge opens, saves and starts sessions from: the workspace `file`, read
 * afresh each time, so a change made on disk is seen (and a save over it refused).
 */
export function workspaceStore(file: string): { file: string; open(): Promise<WorkspaceState>; save(doc: WorkspaceDoc, version: string, force: boolean): Promise<WorkspaceState>; spec(name: string): Promise<SessionSpec> } {
  const path = resolve(file);
  return {
    file: path,
    open: async () => stateOf(loadWorkspace(path, { allowMissing: true })),
    save: async (doc, version, force) => stateOf(await saveWorkspace(path, doc, { version, force })),
    spec: async (name) => workspaceSession(loadWorkspace(path, { allowMissing: true }), name).spec,
  };
}
