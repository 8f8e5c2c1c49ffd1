// Deno.serve hands every handler an absolute URL string; parsing it with `new URL` on every
// request was a visible share of the gateway's CPU under load (bench/README.md), and the
// handler needs only the path and the authority. Anything that URL parsing could normalise is
// still left to it, so both functions agree with `new URL` on every input.

/** The part of `http://authority/path?query` between `//` and the path. */
export function requestAuthority(url: string): string {
  const start = url.indexOf("//") + 2;
  const end = url.indexOf("/", start);
  return url.slice(start, end === -1 ? undefined : end);
}

/** The same as `new URL(url).pathname`, without parsing the URL when it is plain. */
export function requestPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return new URL(url).pathname;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 0x3f || code === 0x23) { // ? #
      end = i;
      break;
    }
    // % . \ and anything outside printable ASCII may be rewritten by URL parsing.
    if (code === 0x25 || code === 0x2e || code === 0x5c || code <= 0x20 || code >= 0x7f) {
      return new URL(url).pathname;
    }
  }
  return url.slice(start, end);
}
