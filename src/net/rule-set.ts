// A session's rules: first match wins, hits counted, and a rules file reloaded when it changes.
import fs from 'node:fs';
import nodePath from 'node:path';
import YAML from 'yaml';
import { SockitError, UsageError } from '../errors.js';
import type { MessageOptions } from '../wire/message.js';
import { matchRule, parseRule, type Rule, type RuleSpec } from '../wire/rules.js';

/** A rule with how often it fired. */
import type { RuleStat } from '../wire/events.js';

export type { RuleStat };

interface Entry {
  rule: Rule;
  hits: number;
  enabled: boolean;
}

/** Reads a rules file: a JSON or YAML list of rules (lines or objects), or `{ rules: [...] }`. */
export function readRulesFile(path: string): (string | RuleSpec)[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new SockitError('SOCKIT_ERR_FILE', `cannot read the rules file ${path}: ${(err as Error).message}`, { cause: err, exitCode: 2 });
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { rules?: unknown }).rules) ? (doc as { rules: unknown[] }).rules : undefined;
  if (!list) throw new UsageError(`${path}: expected a list of rules, or an object with a 'rules' list`);
  return list as (string | RuleSpec)[];
}

/** Compiled rules in order; the first enabled rule that matches (and has fires left) answers. */
export class RuleSet {
  private entries: Entry[] = [];
  private textRules = false;
  private watcher: fs.FSWatcher | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Rules given directly; a rules file's follow them. */
    private readonly fixed: readonly (string | RuleSpec)[],
    private readonly options: MessageOptions,
  ) {
    this.replace(fixed, 'rules');
  }

  /** True when some rule reads the message's text (kept with the rules: asked once a message). */
  get readsText(): boolean {
    return this.textRules;
  }

  /** How many rules there are. */
  get size(): number {
    return this.entries.length;
  }

  /** Replaces the rules (all parsed first: one bad rule keeps the old set); hits carry over by rule text. */
  replace(rules: readonly (string | RuleSpec)[], where: string): void {
    const parsed = rules.map((r, i) => {
      try {
        return parseRule(r, { ...this.options, where: `${where}[${i}]` });
      } catch (err) {
        // named by its field, so a face can say which of its options held the rule
        if (err instanceof UsageError && (err.field === undefined || err.field.startsWith(where)) && err.message.startsWith(where)) throw new UsageError(err.message, { hint: err.hint, field: where });
        throw err;
      }
    });
    const before = new Map(this.entries.map((e) => [e.rule.source, e.hits]));
    this.entries = parsed.map((rule) => ({ rule, hits: before.get(rule.source) ?? 0, enabled: rule.enabled }));
    this.textRules = parsed.some((r) => r.readsText);
  }

  /** The first rule that matches, with its captures. */
  match(bytes: Uint8Array, text: string | undefined): { rule: Rule; captures: Record<string, string | undefined> } | undefined {
    for (const e of this.entries) {
      if (!e.enabled || (e.rule.count !== undefined && e.hits >= e.rule.count)) continue;
      const captures = matchRule(e.rule, bytes, text);
      if (captures) {
        e.hits++;
        return { rule: e.rule, captures };
      }
    }
    return undefined;
  }

  /** Turns one rule on or off, by position. */
  setEnabled(index: number, enabled: boolean): boolean {
    const e = this.entries[index];
    if (!e) return false;
    e.enabled = enabled;
    return true;
  }

  /** Each rule and its hits. */
  stats(): RuleStat[] {
    return this.entries.map((e) => ({ rule: e.rule.source, ...(e.rule.name ? { name: e.rule.name } : {}), hits: e.hits, enabled: e.enabled }));
  }

  /**
   * Loads rules from a file and reloads them when it changes. A bad edit is reported through
   * `onError` and the rules in force stay.
   */
  watchFile(path: string, onReload: (count: number) => void, onError: (err: Error) => void): void {
    this.replace([...this.fixed, ...readRulesFile(path)], path);
    const reload = () => {
      this.reloadTimer = undefined;
      try {
        this.replace([...this.fixed, ...readRulesFile(path)], path);
        onReload(this.entries.length);
      } catch (err) {
        onError(err as Error);
      }
    };
    // editors save by writing a new file and renaming it over the old one, so watch the folder
    // for the file's name, and let a burst of events settle before reading
    const name = nodePath.basename(path);
    this.watcher = fs.watch(nodePath.dirname(nodePath.resolve(path)), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(reload, 50);
    });
    this.watcher.on('error', (err) => onError(err));
  }

  /** Stops watching the file. */
  close(): void {
    this.watcher?.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
  }
}
