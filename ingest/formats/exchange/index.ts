export { ExchangeParser, type ExchangeParserOptions } from './parser.ts';
export { looksLikeExchange } from './detect.ts';
export { splitRow } from './csv.ts';
export { rowEvents, customData, shortHost, bracketId, type Row } from './tracking.ts';
export { serverFromPath, roleFromPath, type ExchangeRole } from './roles.ts';
export { exportTime, type DateOrder } from './online.ts';
