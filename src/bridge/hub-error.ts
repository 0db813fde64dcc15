// Errors on their way to the page: a sentence, its code and the form field it is about.
import { SockitError, UsageError } from '../errors.js';
import type { WireError } from './protocol.js';

/** An error meant for the page: a sentence, its code, and the form field it is about. */
export class HubError extends Error {
  readonly wire: WireError;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = 'HubError';
    this.wire = wire;
  }
}

/** A usage error for the page, about `field` when one is given. */
export function usage(message: string, field?: string): HubError {
  return new HubError({ code: 'SOCKIT_ERR_USAGE', message, ...(field ? { field } : {}) });
}

/** Turns anything thrown into the wire form, naming a field where the error is about one. */
export function toWireError(err: unknown, field?: string): WireError {
  if (err instanceof HubError) return err.wire;
  if (err instanceof SockitError) {
    const wire: WireError = { code: err.code, message: err.message };
    if (err.hint) wire.hint = err.hint;
    const f = field ?? (err instanceof UsageError ? err.field : undefined) ?? fieldOf(err);
    if (f) wire.field = f;
    return wire;
  }
  return { code: 'SOCKIT_ERR_INTERNAL', message: (err as Error)?.message ?? String(err), ...(field ? { field } : {}) };
}

function fieldOf(err: SockitError): string | undefined {
  switch (err.code) {
    case 'SOCKIT_ERR_ADDR_IN_USE':
    case 'SOCKIT_ERR_ACCESS':
      return 'port';
    case 'SOCKIT_ERR_ADDR_NOT_AVAILABLE':
    case 'SOCKIT_ERR_HOST_NOT_FOUND':
      return 'host';
    default:
      return undefined;
  }
}

/** Runs a validator; an error it throws is reported against `field`. */
export function checkField<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new HubError(toWireError(err, field));
  }
}

/**
 * A short description of any value a page sent, for a sentence: strings quoted, cut and with
 * control characters escaped; other values by their kind. Never calls the value's own methods.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `'${cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return 'nothing';
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'a list' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}
