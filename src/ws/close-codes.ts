// WebSocket close codes in words (RFC 6455 section 7.4), and what a protocol error from the ws package means.

const NAMES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no code given',
  1006: 'no close frame: the connection was lost',
  1007: 'invalid data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'missing extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
  1015: 'TLS handshake failed',
};

/** `1000 normal closure`, `4001` (application codes have no name). */
export function describeCloseCode(code: number): string {
  const name = NAMES[code];
  return name ? `${code} ${name}` : String(code);
}

/** A close code as typed (`--close-code`, the page): 1000, or 3000 to 4999 for applications. */
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && (code === 1000 || (code >= 3000 && code <= 4999));
}

/** What a protocol error raised by the ws package's frame reader means, in words, by its WS_ERR_* code. */
export function describeProtocolError(code: string | undefined, maxPayloadBytes: number): string {
  switch (code) {
    case 'WS_ERR_INVALID_UTF8':
      return 'sent a text frame that is not valid UTF-8';
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return `sent a message larger than the limit of ${maxPayloadBytes} bytes`;
    case 'WS_ERR_EXPECTED_MASK':
      return 'sent a frame without a mask (clients must mask every frame)';
    case 'WS_ERR_UNEXPECTED_MASK':
      return 'sent a masked frame (servers must not mask)';
    case 'WS_ERR_INVALID_OPCODE':
      return 'sent a frame with an unknown opcode';
    case 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH':
      return 'sent a control frame longer than 125 bytes';
    case 'WS_ERR_EXPECTED_FIN':
      return 'sent a fragmented control frame';
    case 'WS_ERR_INVALID_CLOSE_CODE':
      return 'sent a close frame with an invalid code';
    case 'WS_ERR_UNEXPECTED_RSV_1':
    case 'WS_ERR_UNEXPECTED_RSV_2_3':
      return 'set reserved bits no extension was agreed for';
    default:
      return 'broke the WebSocket protocol';
  }
}
