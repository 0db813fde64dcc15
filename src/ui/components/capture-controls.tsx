// A session's capture in its header: start and stop it, then download it as NDJSON or as a pcap for Wireshark (exported by sockit).
import type { JSX } from 'preact';
import { captureHref, type CaptureDownload } from '../../bridge/protocol.js';
import { formatBytes, formatCount } from '../../wire/format-bytes.js';
import { store } from '../store.js';
import type { SessionModel } from '../session-model.js';
import { Icon } from './icons.js';

async function toggle(m: SessionModel): Promise<void> {
  const running = m.info.capture?.state === 'running';
  const r = await store.request({ type: running ? 'capture-stop' : 'capture-start', session: m.id });
  if (!r.ok) store.flash(r.error.message, 'error');
  else if (running && r.session?.capture) store.flash(`captured ${formatCount(r.session.capture.records)} records, ${formatBytes(r.session.capture.bytes)} of data`);
}

function Download({ m, form }: { m: SessionModel; form: CaptureDownload }): JSX.Element {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const title = form === 'pcap' ? 'Download the capture as a pcap (Wireshark, tshark)' : 'Download the capture (NDJSON: sockit replay, export)';
  return (
    <a class="btn small" href={captureHref(m.id, form, token)} download title={title} data-testid={`capture-${form}`}>
      <Icon name="download" size={14} /> {form === 'pcap' ? 'pcap' : 'NDJSON'}
    </a>
  );
}

/** Capture, stop, and the downloads once stopped. */
export function CaptureControls({ m }: { m: SessionModel }): JSX.Element {
  const c = m.info.capture;
  const running = c?.state === 'running';
  const live = m.info.state !== 'closed';
  return (
    <span class="capture-controls">
      {(live || running) && (
        <button
          type="button"
          class={`btn${running ? ' on capturing' : ''}`}
          onClick={() => void toggle(m)}
          disabled={!store.online}
          title={running ? 'Stop capturing; then download the capture' : `${c ? 'Capture again: ' : ''}every connection, byte and close of this session, to a file`}
          aria-label={running ? 'Stop capture' : c ? 'Capture again' : 'Capture'}
          data-testid="capture-toggle"
        >
          <Icon name={running ? 'stop' : 'radio'} /> {running ? 'Stop capture' : c ? '' : 'Capture'}
        </button>
      )}
      {c?.state === 'stopped' && (
        <>
          <Download m={m} form="ndjson" />
          <Download m={m} form="pcap" />
        </>
      )}
    </span>
  );
}
