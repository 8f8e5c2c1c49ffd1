import { ConfigError } from "../config.ts";
import { RUSSIAN_TRUSTED_CAS } from "./russian_ca.ts";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A PEM file a setting names, or a ConfigError that says why it cannot be read. */
async function readSettingFile(setting: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "does not exist"
      : error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ? "is outside what the gateway may read: `deno task start` reads only its working " +
        "folder, so copy the file there (or run main.ts with --allow-read=<that path>)"
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    throw new ConfigError(`${setting} ${path} ${reason}`);
  }
}

/** Reads GIGACHAT_CA_FILE and returns the certificates in it. @throws {ConfigError} */
export async function readExtraCaFile(path: string): Promise<string[]> {
  const text = await readSettingFile("GIGACHAT_CA_FILE", path);
  const pems = text.match(PEM_CERTIFICATE) ?? [];
  if (pems.length === 0) {
    throw new ConfigError(`GIGACHAT_CA_FILE ${path} holds no PEM certificate`);
  }
  return pems;
}

/** A client certificate and its key (PEM) for mutual TLS with GigaChat. */
export interface ClientCertificate {
  cert: string;
  key: string;
}

/**
 * Reads a client certificate and its key: GIGACHAT_CLIENT_CERT_FILE and _KEY_FILE, or the
 * settings `names` gives (a pool member's). An encrypted key is refused with how to decrypt it:
 * Deno's TLS takes only a clear one. @throws {ConfigError}
 */
export async function readClientCertificate(
  certFile: string,
  keyFile: string,
  names = { cert: "GIGACHAT_CLIENT_CERT_FILE", key: "GIGACHAT_CLIENT_KEY_FILE" },
): Promise<ClientCertificate> {
  const cert = await readSettingFile(names.cert, certFile);
  const key = await readSettingFile(names.key, keyFile);
  // match, not test: the expression is global, and test would keep where it stopped.
  if (cert.match(PEM_CERTIFICATE) === null) {
    throw new ConfigError(`${names.cert} ${certFile} holds no PEM certificate`);
  }
  if (/ENCRYPTED/.test(key)) {
    throw new ConfigError(
      `${names.key} ${keyFile} is encrypted, which the gateway cannot use; ` +
        `decrypt it once (openssl pkey -in ${keyFile} -out <clear key file>) and keep that ` +
        "file readable only by the gateway",
    );
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw new ConfigError(`${names.key} ${keyFile} holds no PEM private key`);
  }
  return { cert, key };
}

/**
 * The HTTP client for every upstream call: the default roots plus the Russian Trusted CAs and
 * any extra CAs, and a client certificate when GigaChat asks for one (mutual TLS). Certificate
 * checks stay on; there is deliberately no switch to disable them.
 * @throws {ConfigError} when a certificate or key cannot be used.
 */
export function createUpstreamHttpClient(
  extraCas: readonly string[] = [],
  clientCertificate?: ClientCertificate,
  certificateSetting = "the client certificate (GIGACHAT_CLIENT_CERT_FILE and _KEY_FILE)",
): Deno.HttpClient {
  try {
    return Deno.createHttpClient({
      caCerts: [...RUSSIAN_TRUSTED_CAS, ...extraCas],
      ...(clientCertificate ?? {}),
    });
  } catch (error) {
    const which = clientCertificate === undefined
      ? "GIGACHAT_CA_FILE holds a certificate"
      : `GIGACHAT_CA_FILE or ${certificateSetting} holds something`;
    throw new ConfigError(
      `${which} that cannot be used (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
