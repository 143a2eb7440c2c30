// Logs one ~100-byte line every 20 ms until stopped: a chatty but ordinary service.
let n = 0;
const pad = "x".repeat(80);
setInterval(() => process.stdout.write(`steady ${String(n++).padStart(8, "0")} ${pad}\n`), 20);
