import type { Config } from "../config.ts";
import { makeCredential } from "../gigachat/credential.ts";
import { createUpstreamHttpClient, readClientCertificate } from "../gigachat/http_client.ts";
import type { PoolMember } from "./credential_pool.ts";

/** A server-side gateway's credentials, and the connections of those with certificates. */
export interface PoolMembers {
  members: PoolMember[];
  /** Closed with the gateway. */
  clients: Deno.HttpClient[];
}

/**
 * The members of GIGACHAT_POOL, or the one credential of GIGACHAT_CREDENTIALS (and the like)
 * as a pool of one named `default` with UPSTREAM_CONCURRENCY as its cap. A member with its own
 * client certificate gets its own connections (`extraCas` trusted too), unless `ownClients` is
 * false (tests that replace fetch). @throws {ConfigError} naming a member whose files are bad.
 */
export async function poolMembers(
  config: Pick<Config, "pool" | "credentials" | "credentialKind" | "scope" | "queue">,
  extraCas: readonly string[],
  ownClients: boolean,
): Promise<PoolMembers> {
  if (config.pool === undefined) {
    const credential = await makeCredential(
      config.credentials!,
      config.scope,
      config.credentialKind.kind,
      "default",
    );
    return {
      members: [{
        name: "default",
        credential: { ...credential, kind: config.credentialKind.kind, member: "default" },
        concurrency: config.queue.concurrency,
        models: undefined,
      }],
      clients: [],
    };
  }
  const clients: Deno.HttpClient[] = [];
  const members: PoolMember[] = [];
  for (const [i, setting] of config.pool.entries()) {
    const credential = await makeCredential(setting.key, setting.scope, setting.kind, setting.name);
    let httpClient: Deno.HttpClient | undefined;
    if (setting.clientCertificate !== undefined && ownClients) {
      const label = `GIGACHAT_POOL entry ${i + 1} ("${setting.name}")`;
      const certificate = await readClientCertificate(
        setting.clientCertificate.certFile,
        setting.clientCertificate.keyFile,
        { cert: `${label} client_cert_file`, key: `${label} client_key_file` },
      );
      httpClient = createUpstreamHttpClient(extraCas, certificate, `${label}'s certificate`);
      clients.push(httpClient);
    }
    members.push({
      name: setting.name,
      credential: { ...credential, kind: setting.kind, member: setting.name, httpClient },
      concurrency: setting.concurrency,
      models: setting.models === undefined ? undefined : new Set(setting.models),
    });
  }
  return { members, clients };
}
