// A tiny HTTP service on 127.0.0.1 that logs each request it gets.
import { createServer } from "node:http";

const port = Number(process.env.DEMO_PORT ?? 8787);
createServer((req, res) => {
  console.log(`${req.method} ${req.url} baggage=${req.headers.baggage ?? "-"}`);
  res.end("hello\n");
}).listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
process.on("SIGTERM", () => {
  console.log("SIGTERM: shutting down");
  process.exit(0);
});
