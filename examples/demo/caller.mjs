// Calls the greeter every second with the session header, as a developer's client would.
const url = `http://127.0.0.1:${process.env.DEMO_PORT ?? 8787}/hello`;
const headers = { baggage: `mirrord-session=${process.env.SESSION_KEY ?? "demo"}` };
setInterval(async () => {
  try {
    const res = await fetch(url, { headers });
    console.log(`got ${res.status}: ${(await res.text()).trim()}`);
  } catch (error) {
    console.error(`greeter not reachable yet (${error.cause?.code ?? error.message})`);
  }
}, 1000);
