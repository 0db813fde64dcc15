// The fields of the new-session form: a text field with its check beside it, a tick box, the framing and encoding choices.
import type { JSX } from 'preact';
import { store } from '../store.js';
import type { DialogState } from '../form.js';
import { FormRules } from './rules-table.js';

/** Common encodings first; every other name iconv-lite knows is in the suggestions too. */
export const COMMON_ENCODINGS = ['utf8', 'gbk', 'gb18030', 'big5', 'shift_jis', 'euc-kr', 'latin1', 'utf16le', 'windows-1251'];

/** What one text field of the form shows. */
export interface FieldProps {
  d: DialogState;
  name: string;
  label: string;
  hint?: string;
  placeholder?: string;
  list?: string;
  wide?: boolean;
  mono?: boolean;
  autoFocus?: boolean;
  inputMode?: 'numeric' | 'text';
}

/** A text field with its hint, or its error once it has one. */
export function Field({ d, name, label, hint, placeholder, list, wide, mono, autoFocus, inputMode }: FieldProps): JSX.Element {
  const error = d.errors[name];
  const id = `f-${name}`;
  return (
    <div class={`field${wide ? ' wide' : ''}${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        class={mono ? 'mono' : undefined}
        value={String(d.values[name] ?? '')}
        placeholder={placeholder}
        list={list}
        autoComplete="off"
        spellcheck={false}
        inputMode={inputMode}
        autoFocus={autoFocus}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-err` : hint ? `${id}-hint` : undefined}
        onInput={(e) => store.form.setField(name, (e.currentTarget as HTMLInputElement).value)}
        onBlur={() => store.form.blurField(name)}
      />
      {error ? (
        <span class="field-error" id={`${id}-err`} role="alert">
          {error}
        </span>
      ) : hint ? (
        <span class="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/** A tick box with a short explanation. */
export function Check({ d, name, label, hint }: { d: DialogState; name: string; label: string; hint: string }): JSX.Element {
  const error = d.errors[name];
  return (
    <div class={`check${error ? ' invalid' : ''}`}>
      <label>
        <input type="checkbox" name={name} checked={Boolean(d.values[name])} aria-invalid={error ? 'true' : undefined} onChange={(e) => store.form.setField(name, (e.currentTarget as HTMLInputElement).checked)} />
        <span>
          <strong>{label}</strong> <span class="muted">{hint}</span>
        </span>
      </label>
      {error && (
        <span class="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** What one message is: raw, line, a length prefix or a delimiter. */
export function FrameField({ d }: { d: DialogState }): JSX.Element {
  const frame = String(d.values.frame ?? 'raw');
  return (
    <>
      <div class="field">
        <label for="f-frame">Message framing</label>
        <select id="f-frame" name="frame" value={frame} onChange={(e) => store.form.setField('frame', (e.currentTarget as HTMLSelectElement).value)}>
          <option value="raw">raw — one read is one message</option>
          <option value="line">line — split at \n</option>
          <option value="len16">len16 — 2-byte length prefix</option>
          <option value="len32">len32 — 4-byte length prefix</option>
          <option value="delimiter">delimiter…</option>
        </select>
      </div>
      {frame === 'delimiter' && <Field d={d} name="delimiter" label="Delimiter" placeholder="\r\n or \x03" mono hint="escapes: \r \n \t \xHH" />}
    </>
  );
}

/** The text encoding, with the names the server knows as suggestions. */
export function EncodingField({ d }: { d: DialogState }): JSX.Element {
  return <Field d={d} name="encoding" label="Encoding" list="encodings" placeholder="utf8" hint="utf8, gbk, big5, shift_jis, latin1…" />;
}

/** Where a server listens: its host (every interface when empty) and port, the port focused first. */
export function ListenFields({ d, port, label = 'Listen on', anywhere = 'all interfaces (IPv4 and IPv6)' }: { d: DialogState; port: string; label?: string; anywhere?: string }): JSX.Element {
  return (
    <>
      <Field d={d} name="host" label={label} placeholder={anywhere} list="hosts" />
      <Field d={d} name="port" label="Port" placeholder={port} inputMode="numeric" autoFocus hint="0 picks any free port" />
    </>
  );
}

/** How a TCP or WebSocket server answers: welcome, reply template, quit word, echo, close after reply, chat, and its rules. */
export function ServerBehaviourFields({ d, ws = false }: { d: DialogState; ws?: boolean }): JSX.Element {
  return (
    <fieldset class="behaviour">
      <legend>{ws ? 'Server behaviour (per message)' : 'Server behaviour'}</legend>
      <div class="grid2">
        <Field d={d} name="welcome" label="Welcome message" placeholder={ws ? 'Welcome!' : 'Welcome!\\n'} mono hint="sent to each new client" />
        <Field d={d} name="reply" label="Reply template" placeholder={ws ? 'ACK: {data}' : 'ACK: {data}\\r\\n'} mono hint={ws ? '{data} {peer} {n}, escapes \\n \\xHH' : '{data} {peer} {n}, escapes \\n \\r \\xHH'} />
        <Field d={d} name="quit" label="Quit word" placeholder="exit" hint="a client sending exactly this is closed" />
      </div>
      <div class="checks">
        <Check d={d} name="echo" label="Echo" hint={ws ? 'answer each message in its own frame type' : 'answer each message with its bytes'} />
        <Check d={d} name="closeAfterReply" label="Close after reply" hint={ws ? 'answer, then close with 1000' : 'ACK and hang up'} />
        <Check d={d} name="chat" label="Chat" hint="relay each message to the other clients" />
      </div>
      <FormRules d={d} />
    </fieldset>
  );
}
