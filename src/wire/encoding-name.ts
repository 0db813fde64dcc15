// Encoding names compared as people write them: `Shift_JIS`, `shift-jis` and `shiftjis` are one encoding.

/** Lowercase, letters and digits only: the spelling names are compared in. */
export function canonicalEncoding(name: string): string {
  return name.toLowerCase().replace(/[^0-9a-z]/g, '');
}
