// The new-session form's fields for the WebSocket kinds: a server's path, subprotocols, origins and behaviour; a client's address and handshake.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { DialogState } from '../form.js';
import { Check, EncodingField, Field, ListenFields, ServerBehaviourFields } from './form-fields.js';

/** The fields of a WebSocket server or client. */
export function WsFields({ d }: { d: DialogState }): JSX.Element {
  if (d.kind === 'ws-client') {
    return (
      <div class="grid2">
        <Field d={d} name="url" label="Server address" placeholder="ws://127.0.0.1:8080/chat" mono wide autoFocus hint="ws:// or wss://, with the path" />
        <Field d={d} name="subprotocols" label="Subprotocols (optional)" placeholder="chat, v2" hint="offered, preferred first" />
        <Field d={d} name="origin" label="Origin (optional)" placeholder="https://app.example" hint="sent as a browser would" />
        <HeadersField d={d} />
        <EncodingField d={d} />
        <Check d={d} name="insecure" label="Accept any certificate" hint="wss:// to a self-signed server" />
      </div>
    );
  }
  return (
    <>
      <div class="grid2">
        <ListenFields d={d} port="8080" />
        <Field d={d} name="path" label="Path (optional)" placeholder="/chat" mono hint="other paths get 404" />
        <Field d={d} name="subprotocols" label="Subprotocols (optional)" placeholder="chat, v2" hint="spoken, preferred first" />
        <Field d={d} name="origins" label="Allowed origins (optional)" placeholder="https://app.example" hint="others get 403; empty: any" />
        <EncodingField d={d} />
      </div>
      <ServerBehaviourFields d={d} ws />
    </>
  );
}

/** Extra request headers, one `Name: value` a line. */
function HeadersField({ d }: { d: DialogState }): JSX.Element {
  const error = d.errors.headers;
  return (
    <div class={`field wide${error ? ' invalid' : ''}`}>
      <label for="f-headers">Extra headers (optional)</label>
      <textarea
        id="f-headers"
        name="headers"
        class="mono"
        rows={2}
        placeholder={'Authorization: Bearer abc\nX-Client: sockit'}
        spellcheck={false}
        value={String(d.values.headers ?? '')}
        aria-invalid={error ? 'true' : undefined}
        onInput={(e) => store.form.setField('headers', (e.currentTarget as HTMLTextAreaElement).value)}
        onBlur={() => store.form.blurField('headers')}
      />
      {error ? <span class="field-error" role="alert">{error}</span> : <span class="field-hint">one Name: value a line</span>}
    </div>
  );
}
