/**
 * mirrord's progress, as printed with `MIRRORD_PROGRESS_MODE=json`: one object per line,
 * `{"type": "NewTask" | "FinishedTask" | "Warning" | "Info" | "IdeMessage", ...}`. Readiness is a
 * successful FinishedTask whose message is `Ready!`; in simple mode it is a bare `Ready!` line.
 */

export type ProgressEvent =
  | { kind: "task"; name: string; parent?: string }
  | { kind: "finished"; name: string; success: boolean; message?: string }
  | { kind: "warning"; message: string }
  | { kind: "info"; message: string };

const READY_MESSAGE = "Ready!";

/** Parses a progress line; undefined for anything that is not mirrord progress. */
export function parseProgressLine(line: string): ProgressEvent | undefined {
  if (!line.startsWith('{"type":')) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  switch (value.type) {
    case "NewTask":
      return { kind: "task", name: str(value.name) ?? "", parent: str(value.parent) };
    case "FinishedTask":
      return {
        kind: "finished",
        name: str(value.name) ?? "",
        success: value.success === true,
        message: str(value.message),
      };
    case "Warning":
      return { kind: "warning", message: str(value.message) ?? "" };
    case "Info":
      return { kind: "info", message: str(value.message) ?? "" };
    case "IdeMessage": {
      const message = value.message as { text?: unknown } | undefined;
      return { kind: "info", message: str(message?.text) ?? "" };
    }
    default:
      return undefined;
  }
}

/** True for the event or line that says the session is up and the application is starting. */
export function isReadyEvent(event: ProgressEvent | undefined, line: string): boolean {
  if (event) return event.kind === "finished" && event.success && event.message?.trim() === READY_MESSAGE;
  return line.trim() === READY_MESSAGE;
}
