// The new-session form: a short form per kind, each value checked next to its field before anything is sent.
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { SessionKind } from '../../bridge/protocol.js';
import { store } from '../store.js';
import { SAVE_KINDS, type DialogState } from '../form.js';
import { SaveFields } from './save-fields.js';
import { Icon, kindIcon } from './icons.js';
import { Banner } from './banner.js';
import { WsFields } from './ws-fields.js';
import { isClientKind } from '../ws-kinds.js';
import { Check, COMMON_ENCODINGS, EncodingField, Field, FrameField, ListenFields, ServerBehaviourFields } from './form-fields.js';
import { ProxyFields } from './proxy-form.js';

export { COMMON_ENCODINGS } from './form-fields.js';

const KIND_LABEL: Record<SessionKind, string> = {
  'tcp-server': 'TCP server', 'tcp-client': 'TCP client', udp: 'UDP', http: 'Static HTTP', 'ws-server': 'WebSocket server', 'ws-client': 'WebSocket client', proxy: 'Proxy',
};
const KIND_HELP: Record<SessionKind, string> = {
  'tcp-server': 'Listen on a port; many clients at once; answer as told.',
  'tcp-client': 'Connect to a server and talk to it.',
  udp: 'Bind a port; send datagrams and see who answers.',
  http: 'Serve a folder over HTTP.',
  'ws-server': 'Accept WebSocket clients; see each handshake and frame.',
  'ws-client': 'Connect to a ws:// or wss:// server.',
  proxy: 'Stand between a client and a server: see both ways, add faults.',
};

function Fields({ d }: { d: DialogState }): JSX.Element {
  switch (d.kind) {
    case 'tcp-server':
      return (
        <>
          <div class="grid2">
            <ListenFields d={d} port="8000" />
            <EncodingField d={d} />
            <FrameField d={d} />
          </div>
          <ServerBehaviourFields d={d} />
        </>
      );
    case 'tcp-client':
      return (
        <>
          <div class="grid2">
            <Field d={d} name="host" label="Server host" placeholder="127.0.0.1" list="hosts" autoFocus />
            <Field d={d} name="port" label="Port" placeholder="8000" inputMode="numeric" />
            <EncodingField d={d} />
            <FrameField d={d} />
          </div>
          <fieldset class="behaviour">
            <legend>Client behaviour</legend>
            <div class="grid2">
              <Field d={d} name="reply" label="Reply template" placeholder="ACK: {data}\r\n" mono hint="answer each message from the server" />
            </div>
            <div class="checks">
              <Check d={d} name="echo" label="Echo" hint="answer each message with its bytes" />
              <Check d={d} name="reconnect" label="Reconnect" hint="connect again when the connection ends, waiting longer each time" />
            </div>
          </fieldset>
        </>
      );
    case 'udp':
      return (
        <>
          <div class="grid2">
            <ListenFields d={d} port="9999" label="Bind to" anywhere="all interfaces" />
            <Field d={d} name="remote" label="Send to (optional)" placeholder="127.0.0.1:9000" mono hint="host:port the send box aims at" />
            <EncodingField d={d} />
          </div>
          <fieldset class="behaviour">
            <legend>Answering</legend>
            <div class="grid2">
              <Field d={d} name="reply" label="Reply template" placeholder="ACK {n}" mono hint="answer each datagram to its sender" />
            </div>
            <div class="checks">
              <Check d={d} name="echo" label="Echo" hint="send each datagram back to its sender" />
            </div>
          </fieldset>
          <fieldset class="behaviour">
            <legend>Broadcast and multicast</legend>
            <div class="grid2">
              <Field d={d} name="join" label="Join groups" placeholder="239.255.0.1" mono hint="multicast groups, separated by commas (--join)" />
              <Field d={d} name="multicastInterface" label="Interface" placeholder="the system's choice" mono hint="local address to join and send by (--iface)" />
              <Field d={d} name="multicastTtl" label="TTL" placeholder="1" inputMode="numeric" hint="hops a multicast datagram may take; 0 stays on this host (--ttl)" />
            </div>
            <div class="checks">
              <Check d={d} name="broadcast" label="Broadcast" hint="allow sending to a broadcast address such as 192.168.1.255 (--broadcast)" />
            </div>
          </fieldset>
        </>
      );
    case 'ws-server':
    case 'ws-client':
      return <WsFields d={d} />;
    case 'http':
      return (
        <div class="grid2">
          <Field d={d} name="root" label="Folder" placeholder="." wide autoFocus />
          <Field d={d} name="host" label="Listen on" placeholder="127.0.0.1" list="hosts" />
          <Field d={d} name="port" label="Port" placeholder="8000" inputMode="numeric" />
        </div>
      );
    case 'proxy':
      return <ProxyFields d={d} />;
  }
}

/** The modal form. Escape closes it; Enter starts the session. */
export function NewSessionDialog({ d }: { d: DialogState }): JSX.Element {
  const kinds = store.hello?.kinds ?? ['tcp-server', 'tcp-client'];
  const ref = useRef<HTMLFormElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  useEffect(() => {
    const prev = opener.current;
    return () => {
      if (prev instanceof HTMLElement) prev.focus();
    };
  }, []);
  useLayoutEffect(() => {
    // a refused submit: to the first field that says why, in the same frame that shows why, so
    // that typing begun right after is not moved to another field halfway
    if (d.refusals) ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [d.refusals]);
  useLayoutEffect(() => {
    // into the form when it opens or the kind changes, in the frame that shows the fields: moved
    // after it, typing begun at once would start in one field and go on in another
    const el = ref.current?.querySelector<HTMLElement>('[autofocus], input, select');
    el?.focus();
  }, [d.kind]);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      store.form.close();
    } else if (e.key === 'Tab') {
      // keep Tab inside the dialog
      const items = [...(ref.current?.querySelectorAll<HTMLElement>('button, input, select, textarea') ?? [])].filter((x) => !(x as HTMLButtonElement).disabled);
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last?.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first?.focus();
      }
    }
  };
  return (
    <div class="overlay" onMouseDown={(e) => e.target === e.currentTarget && store.form.close()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="new-title" data-testid="new-dialog">
      <form
        ref={ref}
        class="dialog-form"
        onKeyDown={onKey}
        onSubmit={(e) => {
          e.preventDefault();
          void store.form.submit();
        }}
        noValidate
      >
        <header class="dialog-head">
          <h2 id="new-title">New session</h2>
          <button type="button" class="icon-btn" onClick={() => store.form.close()} aria-label="Close">
            <Icon name="x" />
          </button>
        </header>
        <div class="kinds" role="radiogroup" aria-label="Kind of session">
          {kinds.map((k) => (
            <button type="button" role="radio" aria-checked={d.kind === k} key={k} class={`kind${d.kind === k ? ' active' : ''}`} onClick={() => store.form.setKind(k)} data-kind={k}>
              <Icon name={kindIcon(k)} size={18} />
              <span class="kind-name">{KIND_LABEL[k]}</span>
              <span class="kind-help">{KIND_HELP[k]}</span>
            </button>
          ))}
        </div>
        <div class="dialog-body">
          <Fields d={d} />
          {SAVE_KINDS.has(d.kind) && <SaveFields d={d} />}
          {d.confirm && (
            <Banner kind="warn" message={`This session would be open beyond this machine: ${d.confirm}`} hint="Start it anyway, or listen on 127.0.0.1 / serve a folder of its own." testid="confirm-exposure" />
          )}
          {d.formError && <Banner message={d.formError.message} hint={d.formError.hint} />}
        </div>
        <footer class="dialog-foot">
          <span class="muted small">Enter starts · Esc closes</span>
          <span class="spacer" />
          <button type="button" class="btn" onClick={() => store.form.close()}>
            Cancel
          </button>
          <button type="submit" class={`btn ${d.confirm ? 'danger' : 'primary'}`} disabled={d.busy} data-testid={d.confirm ? 'start-anyway' : 'start-session'}>
            <Icon name="play" /> {d.busy ? 'Starting…' : d.confirm ? 'Start anyway' : isClientKind(d.kind) ? 'Connect' : 'Start'}
          </button>
        </footer>
        <datalist id="encodings">
          {[...COMMON_ENCODINGS, ...store.encodings.filter((e) => !COMMON_ENCODINGS.includes(e))].map((e) => (
            <option key={e} value={e} />
          ))}
        </datalist>
        <datalist id="hosts">
          {['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].map((h) => (
            <option key={h} value={h} />
          ))}
        </datalist>
      </form>
      </div>
    </div>
  );
}
