// Stands in for a database: says it is ready, then idles.
console.log("db: accepting connections");
setInterval(() => {}, 1 << 30);
