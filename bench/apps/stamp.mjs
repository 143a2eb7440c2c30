// A service that appends the wall-clock time of its first instruction (ms, same clock as the
// bench's nowMs) to the file named by its argument, then idles until a signal ends it.
import { appendFileSync } from "node:fs";

appendFileSync(process.argv[2], `${performance.timeOrigin + performance.now()}\n`);
setInterval(() => {}, 1 << 30);
