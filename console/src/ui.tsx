// Small building blocks shared by the screens: a labelled field, an error/notice line, a copy button.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { describe } from './api.js';

let nextId = 0;
export function useId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++nextId}`);
  return id;
}

export function Field(props: { label: string; value: string; onInput: (v: string) => void; type?: 'text' | 'email' | 'password' | 'url'; placeholder?: string; hint?: string; required?: boolean; name?: string }) {
  const id = useId('f');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input id={id} name={props.name} type={(props.type ?? 'text') as 'text'} value={props.value} placeholder={props.placeholder} required={props.required} aria-describedby={props.hint ? `${id}-hint` : undefined} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      {props.hint && <small id={`${id}-hint`}>{props.hint}</small>}
    </div>
  );
}

export function Select(props: { label: string; value: string; onChange: (v: string) => void; options: Array<string | [string, string]>; name?: string }) {
  const id = useId('s');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.options.map((o) => (Array.isArray(o) ? <option value={o[0]}>{o[1]}</option> : <option value={o}>{o}</option>))}
      </select>
    </div>
  );
}

export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="problem" role="alert">
      {describe(error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

export function Copy({ value, label }: { value: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="secondary"
      aria-label={`Copy ${label}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
          setDone(true);
          setTimeout(() => setDone(false), 2000);
        } catch {
          setDone(false);
        }
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A value to paste elsewhere, with its copy button. */
export function Secret({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="secret">
      <span class="secret-label">{label}</span>
      <code data-testid={testId}>{value}</code>
      <Copy value={value} label={label} />
    </div>
  );
}

/** Runs an async action, keeping its error and busy state. */
export function useAction(): [boolean, unknown, (run: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const act = async (run: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await run();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, act];
}
