// The public API of sockit: sessions, their events and the helpers the faces share.
export * from './errors.js';
export * from './core/events.js';
export * from './core/codec.js';
export * from './core/hexdump.js';
export * from './core/template.js';
export * from './core/framing.js';
export * from './core/options.js';
export * from './core/access.js';
export * from './core/port-owner.js';
export * from './core/tcp-server.js';
export * from './core/tcp-client.js';
export * from './core/tls-cert.js';
export * from './core/ports.js';
export * from './core/resolve.js';
export * from './core/udp-socket.js';
