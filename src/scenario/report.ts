// How a scenario went, for people (expected and arrived, text and hex side by side, the first differing byte marked) and for CI (JUnit XML).
import { decodeText } from '../wire/codec.js';
import type { ScenarioResult, StepResult } from './runner.js';

const ROW = 8;

function hexRow(bytes: Buffer | undefined, wild: boolean[] | undefined, from: number, at: number | undefined): string {
  const cells: string[] = [];
  for (let i = from; i < from + ROW; i++) {
    if (!bytes || i >= bytes.length) cells.push('  ');
    else if (wild?.[i]) cells.push('??');
    else cells.push(bytes[i]!.toString(16).padStart(2, '0'));
  }
  // the first differing byte in brackets, so it stands out without colour
  return cells.map((c, k) => (from + k === at ? `[${c}]` : ` ${c} `)).join('');
}

function printable(bytes: Buffer | undefined, from: number): string {
  if (!bytes) return '';
  let s = '';
  for (let i = from; i < Math.min(from + ROW, bytes.length); i++) s += bytes[i]! >= 0x20 && bytes[i]! < 0x7f ? String.fromCharCode(bytes[i]!) : '.';
  return s;
}

/** Text shown on one line: control characters as escapes. */
function shown(text: string, max = 200): string {
  const j = JSON.stringify(text);
  return j.length > max ? `${j.slice(0, max)}…" (${text.length} characters)` : j;
}

/** A failed expect in detail: the texts, then the bytes side by side with the first difference marked. */
export function formatMismatch(r: StepResult, encoding: string): string[] {
  const lines: string[] = [];
  const exp = r.expected?.bytes;
  const got = r.arrived ?? Buffer.alloc(0);
  // a hex pattern's bytes say nothing as text
  const textual = !r.expected?.wildcard;
  if (exp && textual) lines.push(`    expected text: ${shown(decodeText(exp, encoding))}`);
  else if (r.expected && !exp) lines.push(`    expected:      ${r.expected.description}`);
  if (textual) lines.push(`    arrived text:  ${got.length ? shown(decodeText(got, encoding)) : '(nothing)'}`);
  else if (!got.length) lines.push('    arrived:       (nothing)');
  const length = Math.max(exp?.length ?? 0, got.length);
  if (length === 0) return lines;
  const at = r.at;
  if (at !== undefined) lines.push(`    first difference at byte ${at} (0x${at.toString(16)})`);
  lines.push(`    offset  ${'expected'.padEnd(ROW * 4)}  ${'arrived'.padEnd(ROW * 4)}`);
  // around the difference when the messages are long
  const first = at !== undefined && length > ROW * 16 ? Math.max(0, Math.floor(at / ROW) * ROW - ROW * 4) : 0;
  const last = Math.min(length, first + ROW * 16);
  for (let off = first; off < last; off += ROW) {
    const e = exp ? hexRow(exp, r.expected?.wildcard, off, at) : ' '.repeat(ROW * 4);
    lines.push(`    ${off.toString(16).padStart(6, '0')}  ${e}  ${hexRow(got, undefined, off, at)}  ${printable(got, off)}`);
  }
  if (last < length) lines.push(`    … ${length - last} more bytes`);
  return lines;
}

/** The report people read: one line per step, the failing step in detail, the totals. */
export function formatReport(result: ScenarioResult, { color = (s: string, _k: 'ok' | 'fail' | 'dim') => s } = {}): string {
  const out: string[] = [];
  for (const r of result.steps) {
    const mark = r.ok ? color('✓', 'ok') : color('✗', 'fail');
    out.push(`${mark} ${r.path.padEnd(18)} ${r.description}  ${color(`${r.ms} ms`, 'dim')}`);
    if (r.captures && Object.keys(r.captures).length) out.push(color(`    captured ${Object.entries(r.captures).map(([k, v]) => `{${k}}=${shown(v, 60)}`).join(' ')}`, 'dim'));
    if (!r.ok) {
      out.push(`    ${r.error}`);
      out.push(color(`    at ${r.startMs} ms into the scenario, after waiting ${r.ms} ms`, 'dim'));
      if (r.kind === 'expect') out.push(...formatMismatch(r, result.encoding));
    }
  }
  const failed = result.steps.filter((r) => !r.ok).length;
  out.push(result.ok
    ? color(`${result.name}: passed, ${result.steps.length} steps in ${result.durationMs} ms`, 'ok')
    : color(`${result.name}: FAILED at ${result.steps.find((r) => !r.ok)?.path ?? '?'} (${failed} failed, ${result.steps.length - failed} passed) in ${result.durationMs} ms`, 'fail'));
  return `${out.join('\n')}\n`;
}

const xml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** A JUnit XML report, as CI systems read it: one test case per step. */
export function formatJunit(result: ScenarioResult): string {
  const failures = result.steps.filter((r) => !r.ok).length;
  const cases = result.steps.map((r) => {
    const head = `    <testcase classname="${xml(result.name)}" name="${xml(`${r.path} ${r.description}`)}" time="${(r.ms / 1000).toFixed(3)}"`;
    if (r.ok) return `${head}/>`;
    const detail = [r.error ?? 'failed', ...(r.kind === 'expect' ? formatMismatch(r, result.encoding) : [])].join('\n');
    return `${head}>\n      <failure message="${xml(r.error ?? 'failed')}">${xml(detail)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${result.steps.length}" failures="${failures}" time="${(result.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(result.name)}" tests="${result.steps.length}" failures="${failures}" errors="0" time="${(result.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** A step as one NDJSON event (`--json`); bytes as hex. */
export function stepEvent(r: StepResult): Record<string, unknown> {
  const e: Record<string, unknown> = { event: 'step', path: r.path, kind: r.kind, description: r.description, ok: r.ok, startMs: r.startMs, ms: r.ms };
  if (r.error) e.error = r.error;
  if (r.captures) e.captures = r.captures;
  if (r.expected?.bytes) e.expectedHex = r.expected.bytes.toString('hex');
  if (r.arrived) e.arrivedHex = r.arrived.toString('hex');
  if (r.at !== undefined) e.at = r.at;
  return e;
}
