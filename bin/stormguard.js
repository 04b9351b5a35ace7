#!/usr/bin/env node
// Entry point of the installed package: the compiled CLI (run `npm run build` first in a checkout).
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
