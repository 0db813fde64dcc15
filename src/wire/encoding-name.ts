// Encoding names compared as people write them: `Shift_JIS`, `shift-jis` and `shiftjis` are one encoding.

/** Lowercase, letters and digits only: the spelling names are compared in. */
export function canonicalEncoding(name: string): string {
  return name.toLowerCase().replace(/[^0-9a-z]/g, '');
}

/**
 * Encodings a page decodes itself, by their canonical names: those of the WHATWG Encoding Standard
 * (every browser's TextDecoder knows them) that decode text as iconv-lite does, and ISO-8859-1,
 * which the page decodes byte for byte (the standard reads that label as windows-1252). For any
 * other encoding the bridge sends the text it decoded with the bytes.
 */
const PAGE_DECODES = new Set([
  'utf8', 'unicode11utf8', 'gbk', 'gb2312', 'gb18030', 'chinese', 'csgb2312', 'big5', 'csbig5', 'shiftjis', 'sjis', 'ms932', 'csshiftjis', 'euckr', 'korean', 'ksc5601',
  'latin1', 'iso88591', 'l1', 'cp819', 'ibm819', 'csisolatin1',
  'iso88592', 'iso88593', 'iso88594', 'iso88595', 'iso88596', 'iso88597', 'iso88598', 'iso885910', 'iso885913', 'iso885914', 'iso885915', 'iso885916',
  'cp1250', 'cp1251', 'cp1253', 'cp1254', 'cp1255', 'cp1256', 'cp1257', 'cp1258', 'windows1250', 'windows1251', 'windows1253', 'windows1254', 'windows1255', 'windows1256', 'windows1257', 'windows1258',
  'koi8r', 'koi8u', 'ibm866', 'cp866', 'macintosh', 'mac',
]);

/** True when a page decodes bytes in this encoding itself (see {@link PAGE_DECODES}). */
export function pageDecodes(encoding: string): boolean {
  return PAGE_DECODES.has(canonicalEncoding(encoding));
}
