/**
 * `up --watch`: calls back when one of a set of files changed content. Each file's directory is
 * watched rather than the file, because editors save by writing a new file and renaming it over
 * the old one (the old inode, and a watch on it, are gone). A burst of events (an editor's
 * save: write, rename, chmod) is debounced into one check, and only a real change of content
 * (or a file appearing or disappearing) calls back, so touching a file or saving it unchanged
 * does nothing.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { FileReadError, readRegularFile } from "../core/files.js";
import { nodeCrypto } from "../text/lazy-builtins.js";

/** Bigger files are compared by their size alone: the config and env files are at most 1 MiB. */
const MAX_COMPARED_BYTES = 4 * 1024 * 1024;

const WATCH_DEBOUNCE_MS = 200;

export interface FileWatch {
  /** Looks at the list of files again (it may have changed, e.g. a new env file). */
  refresh(): void;
  close(): void;
}

/**
 * Watches `files()` (absolute paths, asked again on every `refresh`) and calls `changed` with the
 * files whose content changed, at most once per `debounceMs` of quiet.
 */
export function watchFiles(
  files: () => readonly string[],
  changed: (paths: string[]) => void,
  debounceMs = WATCH_DEBOUNCE_MS,
): FileWatch {
  const watchers = new Map<string, FSWatcher>();
  /** Per watched directory, the names in it that matter (updated in place by `refresh`). */
  const namesIn = new Map<string, Set<string>>();
  let digests = new Map<string, string | undefined>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const check = () => {
    timer = undefined;
    if (closed) return;
    const differing: string[] = [];
    for (const [path, before] of digests) {
      const now = digestOf(path);
      if (now !== before) differing.push(path);
      digests.set(path, now);
    }
    if (differing.length > 0) changed(differing);
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  };

  const refresh = () => {
    if (closed) return;
    const wanted = [...new Set(files())];
    const next = new Map<string, string | undefined>();
    for (const path of wanted) next.set(path, digests.has(path) ? digests.get(path) : digestOf(path));
    digests = next;
    const dirs = new Map<string, Set<string>>();
    for (const path of wanted) {
      const dir = dirname(path);
      if (!dirs.has(dir)) dirs.set(dir, new Set());
      dirs.get(dir)?.add(basename(path));
    }
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
        namesIn.delete(dir);
      }
    }
    for (const [dir, names] of dirs) {
      namesIn.set(dir, names);
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          // Without a name (some platforms) any event may concern one of ours.
          if (name === null || namesIn.get(dir)?.has(String(name))) schedule();
        });
        watcher.on("error", () => {});
        watchers.set(dir, watcher);
      } catch {
        // The directory is gone: nothing to watch there until the next refresh.
      }
    }
  };

  refresh();
  return {
    refresh,
    close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/** The content's hash; undefined when the file cannot be read (it is missing). */
function digestOf(path: string): string | undefined {
  try {
    return nodeCrypto().createHash("sha256").update(readRegularFile(path, MAX_COMPARED_BYTES)).digest("hex");
  } catch (error) {
    if (error instanceof FileReadError && error.reason !== "missing")
      return `${error.reason}:${error.message}`;
    return undefined;
  }
}
