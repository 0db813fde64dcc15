// Auto-reply rules as a page sends them: every field's shape checked, each rule parsed by the core in the session's encoding, errors naming the rule's field.
import { encodeText } from '../wire/codec.js';
import { parseRule, type RuleSpec } from '../wire/rules.js';
import { describeValue, usage } from './hub-error.js';
import type { WireError, WireRule } from './protocol.js';

/** The most rules one session takes from a page. */
export const MAX_RULES = 200;
/** The longest match or reply a page may give (a rule is typed, not a file). */
const MAX_RULE_TEXT = 16_384;
const MAX_DELAY_MS = 86_400_000;
const FIELDS = new Set(['match', 'reply', 'action', 'delayMs', 'count', 'enabled']);

type Problem = { field: string; message: string };

const own = (r: Record<string, unknown>, k: string): unknown => (Object.hasOwn(r, k) ? r[k] : undefined);
const isWhole = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

/** The field a rule's problem is shown beside: `rules.<i>.<name>`. */
export function ruleField(index: number, name: string): string {
  return `rules.${index}.${name}`;
}

function ruleShapeProblem(value: unknown, i: number): Problem | undefined {
  const at = (name: string, message: string): Problem => ({ field: ruleField(i, name), message: `rule ${i + 1}: ${message}` });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return at('match', `a rule is an object with match and reply, got ${describeValue(value)}`);
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!FIELDS.has(k)) return at('match', `unknown field ${describeValue(k)}; a rule has match, reply, action, delayMs, count and enabled`);
  const match = own(r, 'match');
  if (typeof match !== 'string' || match.trim() === '') return at('match', 'give what to match: text, prefix:…, contains:…, /regex/, hex:01 03 ?? ??, len>N or any');
  if (match.length > MAX_RULE_TEXT) return at('match', `the match is longer than ${MAX_RULE_TEXT} characters`);
  const reply = own(r, 'reply');
  const action = own(r, 'action');
  if (reply !== undefined && typeof reply !== 'string') return at('reply', `the reply must be text, got ${describeValue(reply)}`);
  if (typeof reply === 'string' && reply.length > MAX_RULE_TEXT) return at('reply', `the reply is longer than ${MAX_RULE_TEXT} characters`);
  if (action !== undefined && action !== 'close' && action !== 'reset' && action !== 'ignore') return at('action', `the action must be close, reset or ignore, got ${describeValue(action)}`);
  if (reply !== undefined && action !== undefined) return at('action', 'a rule replies or closes, resets or ignores: not both');
  if ((reply === undefined || reply === '') && action === undefined) return at('reply', 'give a reply, or choose close, reset or ignore');
  if (own(r, 'delayMs') !== undefined && !isWhole(own(r, 'delayMs'), 0, MAX_DELAY_MS)) return at('delayMs', `the delay must be whole milliseconds from 0 to ${MAX_DELAY_MS}, got ${describeValue(own(r, 'delayMs'))}`);
  if (own(r, 'count') !== undefined && !isWhole(own(r, 'count'), 1, Number.MAX_SAFE_INTEGER)) return at('count', `the count must be a whole number above 0, got ${describeValue(own(r, 'count'))}`);
  if (own(r, 'enabled') !== undefined && typeof own(r, 'enabled') !== 'boolean') return at('enabled', `enabled must be true or false, got ${describeValue(own(r, 'enabled'))}`);
  return undefined;
}

/** The first problem with the shape of a rules list (the page's message check); undefined when every field has its shape. */
export function rulesShapeProblem(value: unknown): Problem | undefined {
  if (!Array.isArray(value)) return { field: 'rules', message: `rules must be a list, got ${describeValue(value)}` };
  if (value.length > MAX_RULES) return { field: 'rules', message: `at most ${MAX_RULES} rules, got ${value.length}` };
  for (let i = 0; i < value.length; i++) {
    const p = ruleShapeProblem(value[i], i);
    if (p) return p;
  }
  return undefined;
}

/** The same problem as a wire error, for a request's answer. */
export function rulesShapeError(value: unknown): WireError | undefined {
  const p = rulesShapeProblem(value);
  return p && usage(p.message, p.field).wire;
}

/** A page's rule as the core takes it. */
export function toRuleSpec(r: WireRule): RuleSpec {
  return { match: r.match, reply: r.reply, action: r.action, delayMs: r.delayMs, count: r.count, enabled: r.enabled };
}

/**
 * Checks a page's rules for a session in `encoding` with the core's parser, as the session will
 * use them: the list with only the fields given, or a usage error naming `rules.<i>.<field>`.
 */
export function checkWireRules(value: unknown, encoding: string): WireRule[] {
  const shape = rulesShapeProblem(value);
  if (shape) throw usage(shape.message, shape.field);
  const encode = (t: string) => encodeText(t, encoding);
  return (value as WireRule[]).map((r, i) => {
    const where = `rule ${i + 1}`;
    // the match alone first, so its problem is shown beside the match
    try {
      parseRule({ match: r.match, action: 'ignore' }, { encode, where });
    } catch (err) {
      throw usage((err as Error).message, ruleField(i, 'match'));
    }
    try {
      parseRule(toRuleSpec(r), { encode, where });
    } catch (err) {
      throw usage((err as Error).message, ruleField(i, r.reply !== undefined ? 'reply' : 'action'));
    }
    const out: WireRule = { match: r.match };
    if (r.reply !== undefined) out.reply = r.reply;
    if (r.action !== undefined) out.action = r.action;
    if (r.delayMs) out.delayMs = r.delayMs;
    if (r.count !== undefined) out.count = r.count;
    if (r.enabled === false) out.enabled = false;
    return out;
  });
}
