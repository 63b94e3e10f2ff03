#!/usr/bin/env node
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`weft: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
