/**
 * Where the page keeps the run's token: the printed address brings it in the fragment, and the
 * page moves it at once into the tab's sessionStorage and out of the address, so that neither the
 * address bar nor the tab's history holds it. A reload of the tab finds it there; another tab
 * (which has its own sessionStorage) needs the printed address.
 */

const KEY = "mirrord-up.token";

/**
 * The token this tab runs with: the fragment's (a new run prints a new one, so it wins over a
 * stored one), else the stored one. A fragment with a token is removed from the address.
 */
export function takeToken(): string | null {
  const fromAddress = fragmentToken();
  if (fromAddress === null) return stored();
  // replaceState rewrites the current history entry: no entry keeps the token.
  history.replaceState(history.state, "", location.pathname + location.search);
  if (fromAddress === "") return stored();
  store(fromAddress);
  return fromAddress;
}

/** The token in the address's fragment (`#token=…`): null without one, "" when empty. */
export function fragmentToken(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get("token");
}

/** Forgets the stored token (the server refused it: it belongs to an earlier run). */
export function forgetToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {}
}

// Storage can be switched off by the browser's settings (it throws then): the token still works
// for this load, only a reload needs the printed address again.
function stored(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function store(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {}
}
