import { main } from './cli.js';

// The process entry point: everything testable lives in `main`.
process.exitCode = await main(process.argv.slice(2));
