#!/usr/bin/env node
// Entry point of the installed package: the compiled CLI (run `npm run build` first in a checkout).
import '../dist/src/bin.js';
