#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts it without its ES module loader.
require("../dist/mirrord-up.cjs").main();
