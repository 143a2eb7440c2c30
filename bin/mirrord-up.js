#!/bin/sh
':' //; exec node --v8-pool-size=1 "$0" "$@"
// The line above is for sh: it starts Node with one V8 worker thread instead of four, which
// saves ~4.5 MiB for the whole of a run (each worker keeps its own malloc arena; bench/README.md)
// and works where `env -S` does not. For JavaScript it is a string and a comment. Started as
// `node bin/mirrord-up.js`, the same program runs with Node's defaults.
// CommonJS (bin/package.json): Node starts it without its ES module loader.
require("../dist/mirrord-up.cjs").main();
