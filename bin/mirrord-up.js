#!/bin/sh
':' //; case $1 in config|validate|ps|logs|restart|start|stop|down|reload|dashboard|init|schema|help) exec node "$0" "$@" ;; esac; exec node --v8-pool-size=1 --max-semi-space-size=1 "$0" "$@"
// The line above is for sh (for JavaScript it is a string and a comment): it starts Node the way
// `up` uses it best, and works where `env -S` does not. One V8 worker thread instead of four: each
// keeps its own malloc arena (~4.5 MiB less for a whole run). A young generation of at most 2 MiB
// instead of up to 32: V8 grows it while the sessions start and gives it back only when idle, so the
// peak stayed ~6 MiB above what a run needs. The other commands run for a moment and start faster
// without a V8 flag (Node's code cache of its own modules is only used under V8's default flags);
// only the first argument is looked at, so `mirrord-up -f x.yaml ps` gets the flags (slower only).
// Started as `node bin/mirrord-up.js`, the same program runs with Node's defaults. bench/README.md
// has the measurements.
// CommonJS (bin/package.json): Node starts it without its ES module loader.
require("../dist/mirrord-up.cjs").main();
