#!/usr/bin/env node
// Entry point of the installed package: the bundled CLI (run `npm run build` first in a checkout).
import '../dist/stormguard.js';
