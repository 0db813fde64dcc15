// One direction of a relay, read for display only: framing and decoding as every session does, with the direction on its events.
import { Conversation } from './conversation.js';

/**
 * Reads what crosses a relay in one direction: messages framed, decoded when shown, and
 * emitted as `data` events with their direction (the read settings carry it). It never writes:
 * the relay forwards the bytes itself. A message too large for the framing stops the display
 * of that direction; its bytes still flow and are counted.
 */
export class DirectionReader extends Conversation {
  private blind = false;

  write(): void {}
  end(): void {}
  destroy(): void {
    this.blind = true;
  }

  protected isClosed(): boolean {
    return this.blind;
  }

  override read(chunk: Buffer): void {
    if (!this.blind) return super.read(chunk);
    this.bytesIn += chunk.length;
    const stats = this.settings.session.stats;
    if (this.settings.direction === 'down') stats.bytesOut += chunk.length;
    else stats.bytesIn += chunk.length;
  }
}
