// Deno.serve hands every handler an absolute URL string; parsing it with `new URL` on every
// request was a visible share of the gateway's CPU under load (bench/README.md), and the
// handler needs only the path and the authority. Anything that URL parsing could normalise is
// still left to it, so requestPath agrees with `new URL` on every input; requestAuthority is
// only a cache key.

/** The part of `http://authority/path?query` between `//` and the path. */
export function requestAuthority(url: string): string {
  const start = url.indexOf("//") + 2;
  const end = url.indexOf("/", start);
  return url.slice(start, end === -1 ? undefined : end);
}

/** The same as `new URL(url).pathname`, without parsing the URL when it is plain. */
export function requestPath(url: string): string {
  const from = url.indexOf("//") + 2;
  const start = url.indexOf("/", from);
  if (start === -1) return new URL(url).pathname;
  // Deno.serve puts the client's Host header here as sent: a ? # or \ in it ends the host for
  // URL parsing, so the path would not start at this slash (and a client could pick the route).
  for (let i = from; i < start; i++) {
    const code = url.charCodeAt(i);
    if (code === 0x3f || code === 0x23 || code === 0x5c) return new URL(url).pathname;
  }
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 0x3f || code === 0x23) { // ? #
      end = i;
      break;
    }
    if (rewrittenInPath(code)) return new URL(url).pathname;
  }
  return url.slice(start, end);
}

/** Characters URL parsing may rewrite in a path: % . \ " < > ` { } and all but printable ASCII. */
function rewrittenInPath(code: number): boolean {
  return code <= 0x20 || code >= 0x7f || code === 0x25 || code === 0x2e || code === 0x5c ||
    code === 0x22 || code === 0x3c || code === 0x3e || code === 0x60 || code === 0x7b ||
    code === 0x7d;
}
