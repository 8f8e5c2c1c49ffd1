/** True for names and addresses that only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  // What nearly every call is asked (a gateway on loopback, checked per request).
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") return true;
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (/^127(\.\d{1,3}){3}$/.test(name)) return name.split(".").every((part) => Number(part) <= 255);
  return name === "::1" || name === "0:0:0:0:0:0:0:1";
}
