export * from './tls.ts';
export * from './event.ts';
export * from './rejection.ts';
export * from './trace.ts';
export * from './api.ts';
export * from './config.ts';
export * from './ddl.ts';
export * from './errors.ts';
