#!/usr/bin/env node
// The `mailtrace` command. Sources are TypeScript run through tsx's loader, so a fresh clone
// works after `npm ci` without a separate compile step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
