// Small stroke icons drawn inline (no icon font, nothing fetched at run time).
import type { JSX } from 'preact';

const PATHS: Record<string, string> = {
  plus: 'M8 3v10M3 8h10',
  play: 'M5 3.5v9l7.5-4.5z',
  stop: 'M4.5 4.5h7v7h-7z',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5',
  x: 'M4 4l8 8M12 4l-8 8',
  pause: 'M5.5 3.5v9M10.5 3.5v9',
  down: 'M8 3v10M4 9l4 4 4-4',
  search: 'M7 12A5 5 0 1 0 7 2a5 5 0 0 0 0 10zM10.5 10.5L14 14',
  download: 'M8 2.5v8M4.5 7L8 10.5 11.5 7M3 13.5h10',
  clear: 'M3 13.5h10M5 10.5l5.5-7 2.5 2-5.5 7H5z',
  send: 'M2.5 8L13.5 2.5 10 13.5 7.5 8.5z M7.5 8.5L13.5 2.5',
  clip: 'M11 7.5l-4.2 4.2a2.3 2.3 0 0 1-3.3-3.3L8.6 3.3a1.6 1.6 0 0 1 2.3 2.3L6 10.5a.8.8 0 0 1-1.2-1.1L9 5.2',
  star: 'M8 2.3l1.7 3.6 3.9.5-2.9 2.7.8 3.9L8 11.1 4.5 13l.8-3.9-2.9-2.7 3.9-.5z',
  sun: 'M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM8 1.5v1.5M8 13v1.5M1.5 8H3M13 8h1.5M3.4 3.4l1 1M11.6 11.6l1 1M3.4 12.6l1-1M11.6 4.4l1-1',
  moon: 'M13 9.5A5.5 5.5 0 1 1 6.5 3a4.5 4.5 0 0 0 6.5 6.5z',
  monitor: 'M2.5 3h11v7.5h-11zM6 13.5h4M8 10.5v3',
  keyboard: 'M1.5 4h13v8h-13zM4 6.5h.01M6.5 6.5h.01M9 6.5h.01M11.5 6.5h.01M5 9.5h6',
  copy: 'M5.5 5.5h7.5v7.5H5.5zM3 10.5V3h7.5',
  repeat: 'M3 7V6a2 2 0 0 1 2-2h7.5M10.5 2l2 2-2 2M13 9v1a2 2 0 0 1-2 2H3.5M5.5 14l-2-2 2-2',
  server: 'M2.5 3h11v4h-11zM2.5 9h11v4h-11zM5 5h.01M5 11h.01',
  plug: 'M6 2v3M10 2v3M4.5 5h7v2.5a3.5 3.5 0 0 1-7 0zM8 11v3',
  radio: 'M8 9.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM5 5a4.2 4.2 0 0 0 0 6M11 5a4.2 4.2 0 0 1 0 6M3 3a7 7 0 0 0 0 10M13 3a7 7 0 0 1 0 10',
  globe: 'M8 14.5A6.5 6.5 0 1 0 8 1.5a6.5 6.5 0 0 0 0 13zM1.5 8h13M8 1.5c2 2.2 2 10.8 0 13M8 1.5c-2 2.2-2 10.8 0 13',
  filter: 'M2.5 3h11L9.5 8.5V13l-3-1.5v-3z',
  restart: 'M3 8a5 5 0 1 0 1.5-3.5M3 2.5V5h2.5',
  unplug: 'M4 12l-2 2M12 4l2-2M5.5 7.5l3 3M7 6l1.5-1.5a2.1 2.1 0 0 1 3 3L10 9M9 10l-1.5 1.5a2.1 2.1 0 0 1-3-3L6 7',
  warn: 'M8 2l6.5 11.5h-13zM8 6.5v3.2M8 11.7h.01',
  chevron: 'M4.5 6l3.5 3.5L11.5 6',
  relay: 'M2 5.5h10M9.5 3l2.5 2.5L9.5 8M14 10.5H4M6.5 8L4 10.5 6.5 13',
  reset: 'M3.5 3.5l9 9M12.5 3.5l-9 9M8 1.5v2M8 12.5v2',
  menu: 'M2.5 4h11M2.5 8h11M2.5 12h11',
  chart: 'M2.5 13.5h11M4 11V8M7 11V4.5M10 11V6.5M13 11V9',
  wrap: 'M2.5 4h11M2.5 8h9a2 2 0 0 1 0 4H8M9.5 10.5L8 12l1.5 1.5M2.5 12H5',
  clock: 'M8 14.5A6.5 6.5 0 1 0 8 1.5a6.5 6.5 0 0 0 0 13zM8 4.5V8l2.5 1.5',
  list: 'M5.5 4h8M5.5 8h8M5.5 12h8M2.5 4h.01M2.5 8h.01M2.5 12h.01',
  up: 'M8 13V3M4 7l4-4 4 4',
};

/** One icon by name, sized by the font (1em) unless told. */
export function Icon({ name, size, title }: { name: keyof typeof PATHS | string; size?: number; title?: string }): JSX.Element {
  const s = size ?? 16;
  return (
    <svg class="icon" width={s} height={s} viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden={title ? undefined : 'true'} role={title ? 'img' : undefined}>
      {title && <title>{title}</title>}
      <path d={PATHS[name] ?? ''} />
    </svg>
  );
}

/** The sockit mark: two arrows, one each way. */
export function Logo({ size = 22 }: { size?: number }): JSX.Element {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" class="logo">
      <rect width="32" height="32" rx="8" class="logo-bg" />
      <path d="M9 12h11l-3.2-3.2M23 20H12l3.2 3.2" stroke="white" stroke-width="2.6" fill="none" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

/** The icon of a kind of session. */
export function kindIcon(kind: string): string {
  return kind === 'tcp-server' || kind === 'ws-server' ? 'server' : kind === 'tcp-client' || kind === 'ws-client' ? 'plug' : kind === 'udp' ? 'radio' : kind === 'proxy' ? 'relay' : 'globe';
}
