// Checks of what a person types, run before anything is sent; each returns a sentence naming the problem, or undefined.

/** Parses hex as the CLI accepts it (`48 65 6c`, `48656c`, `0x48,0x65`, `48:65`, `\x48\x65`); returns the byte count or a problem. */
export function checkHex(input: string): { bytes: number } | { error: string } {
  let count = 0;
  const tokens = /[^\s,;:-]+/g;
  let m: RegExpExecArray | null;
  while ((m = tokens.exec(input)) !== null) {
    const token = m[0];
    const at = m.index + 1;
    if (/^\\x/i.test(token)) {
      const parts = token.split(/\\x/i).slice(1);
      for (const p of parts) {
        if (!/^[0-9a-f]{1,2}$/i.test(p)) return { error: `'\\x${p}' at position ${at} is not one byte of hex` };
        count++;
      }
      continue;
    }
    let digits = token;
    if (/^0x/i.test(digits)) {
      digits = digits.slice(2);
      if (digits.length === 0) return { error: `'0x' without digits at position ${at}` };
      if (digits.length === 1) digits = '0' + digits;
    }
    const bad = /[^0-9a-f]/i.exec(digits);
    if (bad) return { error: `'${bad[0]}' at position ${at + bad.index + (token.length - digits.length)} is not a hex digit` };
    if (digits.length % 2 !== 0) return { error: `odd number of hex digits in '${token}' at position ${at}; write each byte as two digits` };
    count += digits.length / 2;
  }
  return { bytes: count };
}

/** Checks the escapes of a template or escaped text (`\n \r \t \\ \0 \{ \} \xHH`). */
export function checkEscapes(source: string): string | undefined {
  for (let i = 0; i < source.length; i++) {
    if (source[i] !== '\\') continue;
    const next = source[i + 1];
    if (next !== undefined && 'nrt\\0{}'.includes(next)) {
      i++;
    } else if (next === 'x' && /^[0-9a-f]{2}$/i.test(source.slice(i + 2, i + 4))) {
      i += 3;
    } else {
      return `unknown escape '\\${next ?? ''}' at position ${i + 1}; use \\n \\r \\t \\\\ or \\xHH`;
    }
  }
  return undefined;
}

/** A port: whole number in range. */
export function checkPort(value: string, allowZero: boolean): string | undefined {
  const t = value.trim();
  const min = allowZero ? 0 : 1;
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > 65535) {
    return `a port is a whole number from ${min} to 65535${allowZero ? ' (0: any free port)' : ''}`;
  }
  return undefined;
}

/** A host name or address (brackets allowed around IPv6). */
export function checkHost(value: string, required: boolean): string | undefined {
  const t = value.trim();
  if (t === '') return required ? 'give a host name or an IP address' : undefined;
  if (/[\s/]/.test(t)) return 'a host has no spaces or slashes';
  const bare = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
  if (bare.includes(':') && !/^[0-9a-f:.]+$/i.test(bare)) return `'${t}' is not a valid IPv6 address`;
  return undefined;
}

/** `host:port` or `[v6]:port`. */
export function checkEndpoint(value: string, required: boolean): string | undefined {
  const t = value.trim();
  if (t === '') return required ? 'give an address as host:port' : undefined;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  const m = v6 ?? /^([^:]+):(\d+)$/.exec(t);
  if (!m) return t.split(':').length > 2 ? 'write IPv6 addresses in brackets, as [::1]:9000' : 'write it as host:port, for example 127.0.0.1:9000';
  return checkHost(m[1]!, true) ?? checkPort(m[2]!, false);
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/[^0-9a-z]/g, '');
}

/** An encoding name, against the list the server knows. */
export function checkEncoding(value: string, known: readonly string[]): string | undefined {
  const t = canonical(value);
  if (t === '') return 'choose an encoding (utf8, gbk, …)';
  if (known.length && !known.some((k) => canonical(k) === t)) {
    const close = known.filter((k) => canonical(k).startsWith(t.slice(0, 3))).slice(0, 4);
    return `unknown encoding '${value}'${close.length ? `; did you mean ${close.join(', ')}?` : ''}`;
  }
  return undefined;
}

/** A frame choice: the named kinds or a non-empty delimiter. */
export function checkFrame(value: string): string | undefined {
  return value === '' ? 'a delimiter cannot be empty' : undefined;
}

/** A whole number of milliseconds within a range. */
export function checkInterval(value: string, min: number): string | undefined {
  const t = value.trim();
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > 86_400_000) return `an interval is a whole number of milliseconds, at least ${min}`;
  return undefined;
}
