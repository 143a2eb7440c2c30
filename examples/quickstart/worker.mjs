// A second session: works until it is stopped.
console.log("worker: started");
setInterval(() => console.log("worker: took a job"), 3000);
