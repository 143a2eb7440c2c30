#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1
// CommonJS (bin/package.json): Node starts it without its ES module loader.
require("../dist/mirrord-up.cjs").main();
