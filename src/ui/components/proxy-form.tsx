// The proxy's part of the new-session form: where it listens, the target it relays to, and the faults it starts with.
import type { JSX } from 'preact';
import type { DialogState } from '../form.js';
import { Check, EncodingField, Field, FrameField, ListenFields } from './form-fields.js';

/** Listen address and port, target, encoding, framing (TCP), UDP or WebSocket, and the starting faults (not for WebSocket). */
export function ProxyFields({ d }: { d: DialogState }): JSX.Element {
  const udp = Boolean(d.values.udp);
  const ws = Boolean(d.values.ws);
  return (
    <>
      <div class="grid2">
        <ListenFields d={d} port="8080" />
        <Field d={d} name="target" label="Target" placeholder="127.0.0.1:8000" mono hint="host:port each client is relayed to" />
        <EncodingField d={d} />
        {!udp && !ws && <FrameField d={d} />}
      </div>
      <div class="checks">
        <Check d={d} name="udp" label="UDP" hint="relay datagrams: one upstream socket per client address" />
        <Check d={d} name="ws" label="WebSocket" hint="relay WebSocket connections and show their frames, not bytes" />
      </div>
      {!ws && <fieldset class="behaviour">
        <legend>Faults from the start (change them live beside the log)</legend>
        <div class="grid2">
          <Field d={d} name="latency" label="Latency" placeholder="200 or 200±20" mono hint="ms added to each round trip, half each way" />
          <Field d={d} name="bandwidth" label="Bandwidth" placeholder="64k" mono hint="bytes a second each way (k = 1024)" />
          {udp && <Field d={d} name="loss" label="Loss" placeholder="0.1 or 10%" mono hint="share of datagrams lost" />}
        </div>
      </fieldset>}
    </>
  );
}
