// The form's "save received data" fields: a file on the machine running sockit, written by sockit as bytes arrive.
import type { JSX } from 'preact';
import type { DialogState } from '../form.js';
import { Check, Field } from './form-fields.js';

/** A file name and whether an existing file may be replaced; sockit refuses one that exists unless Overwrite is ticked. */
export function SaveFields({ d }: { d: DialogState }): JSX.Element {
  return (
    <fieldset class="behaviour" data-testid="save-fields">
      <legend>Save received data</legend>
      <div class="grid2">
        <Field d={d} name="saveTo" label="To file (optional)" placeholder="received.bin" mono wide hint="on the machine running sockit, written as it arrives, even with this page closed" />
      </div>
      <div class="checks">
        <Check d={d} name="overwrite" label="Overwrite" hint="replace the file if it exists" />
      </div>
    </fieldset>
  );
}
