// The service you debug: reads its settings from api.env, says where it listens, then idles.
console.log(`api: listening on ${process.env.API_PORT} (log level ${process.env.LOG_LEVEL})`);
setInterval(() => console.log("api: handled a request"), 2000);
