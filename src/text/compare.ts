/**
 * Order of names everywhere mirrord-up lists services: by UTF-16 code unit, as `Array#sort`
 * without a comparator (and as Rust sorts the upstream command's `available` list). Not
 * `localeCompare`: that loads ICU's collation data, ~2 MiB of memory for as long as `up` runs.
 */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
