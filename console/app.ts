// The console: one page over the admin API (the same calls scripts make), signed in with the
// admin token for a session cookie. Hash routes: #/status, #/live, #/usage, #/keys, #/requests,
// #/playground, #/models.
import { h, render, type VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htmModule from "htm";
import uPlot from "uplot";

// htm's types describe its ES module; its CommonJS build is what npm resolution may give.
const htm = ((htmModule as unknown as { default?: unknown }).default ?? htmModule) as {
  bind(create: typeof h): (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
};
const html = htm.bind(h);

type Json = Record<string, unknown>;

class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A call to the gateway's own API with the session cookie; its error message on failure. */
async function api<T = Json>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...init.headers },
  });
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body as { error?: { message?: string } }).error?.message ??
      `HTTP ${response.status}`;
    if (response.status === 401) signedOut();
    throw new ApiError(response.status, message);
  }
  return body as T;
}

let signedOut: () => void = () => {};

const PAGES = [
  ["status", "Status"],
  ["live", "Live"],
  ["usage", "Usage"],
  ["keys", "Keys"],
  ["requests", "Requests"],
  ["playground", "Playground"],
  ["models", "Models"],
] as const;
type Page = typeof PAGES[number][0];

function currentPage(): Page {
  const name = location.hash.replace(/^#\/?/, "");
  return (PAGES.find(([id]) => id === name)?.[0]) ?? "status";
}

function App() {
  const [state, setState] = useState<"unknown" | "in" | "out">("unknown");
  const [page, setPage] = useState<Page>(currentPage());
  useEffect(() => {
    signedOut = () => setState("out");
    api<{ signed_in: boolean }>("/console/session").then(
      (session) => setState(session.signed_in ? "in" : "out"),
      () => setState("out"),
    );
    const onHash = () => setPage(currentPage());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  if (state === "unknown") {
    return html`
      <main>
        <p class="muted">Loading…</p>
      </main>
    `;
  }
  if (state === "out") return html`<${SignIn} onIn=${() => setState("in")} />`;
  const signOut = async () => {
    // The cookie is cleared either way; a session that could not be ended is said so.
    await api("/console/session", { method: "DELETE" }).catch((e) => alert((e as Error).message));
    setState("out");
  };
  return html`
    <header>
      <h1>GigaChat gateway</h1>
      <nav aria-label="Console pages">
        ${PAGES.map(([id, label]) =>
          html`<a href=${`#/${id}`} aria-current=${page === id ? "page" : undefined}>${label}</a>`
        )}
      </nav>
      <button onClick=${signOut}>Sign out</button>
    </header>
    <main>
      ${page === "status" && html`<${Status} />`} ${page === "live" &&
        html`<${Live} />`} ${page === "usage" && html`<${Usage} />`} ${page === "keys" &&
        html`<${Keys} />`} ${page === "requests" &&
        html`<${Requests} />`} ${page === "playground" &&
        html`<${Playground} />`} ${page === "models" && html`<${Models} />`}
    </main>
  `;
}

function SignIn({ onIn }: { onIn: () => void }) {
  const [error, setError] = useState("");
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = (new FormData(event.target as HTMLFormElement).get("token") ?? "") as string;
    try {
      await api("/console/session", { method: "POST", body: JSON.stringify({ token }) });
      onIn();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return html`
    <main class="signin">
      <h2>Sign in</h2>
      <form onSubmit=${submit}>
        <label>Admin token (ADMIN_TOKEN)
          <input name="token" type="password" autocomplete="current-password" required autofocus />
        </label>
        <p><button class="primary" type="submit">Sign in</button></p>
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </form>
    </main>
  `;
}

/** Loads `path` now and every `everyMs` (0: once), while the page is shown. */
function useApi<T>(path: string, everyMs = 0): { data?: T; error?: string; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const load = () =>
      api<T>(path).then(
        (d) => live && (setData(d), setError(undefined)),
        (e) => live && setError((e as Error).message),
      );
    load();
    const timer = everyMs > 0 ? setInterval(load, everyMs) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [path, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** Every console session ended (a lost laptop, a token shown on a screen): this one too. */
async function endAllSessions() {
  if (!confirm("Sign every browser out of the console, this one too?")) return;
  try {
    await api("/admin/console-sessions", { method: "DELETE" });
  } catch (e) {
    alert(`Not signed out everywhere: ${(e as Error).message}`);
    return;
  }
  signedOut();
}

function Status() {
  const { data, error } = useApi<Json>("/admin/status", 5000);
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p class="muted">Loading…</p>`;
  const gigachat = data.gigachat as Json;
  const store = data.shared_store as Json;
  const credentials = data.credentials as Json[];
  return html`
    <h2>Status</h2>
    <div class="grid">
      <div class="stat">Version<b>${data.version}</b></div>
      <div class="stat">Uptime<b>${duration(data.uptime_s as number)}</b></div>
      <div class="stat">Ready<b class=${data.ready ? "ok" : "error"}>${data.ready
        ? "yes"
        : "draining"}</b></div>
      <div class="stat">Auth mode<b>${data.auth_mode}</b></div>
      <div class="stat">Open streams<b>${data.open_streams}</b></div>
      <div class="stat">Queue<b>${data.queue_length}</b></div>
      <div class="stat">Console sessions<b>${data.console_sessions ?? "—"}</b></div>
    </div>
    <p>
      <button onClick=${endAllSessions}>Sign out everywhere</button>
      <span class="muted"> ends every console session, this one's too</span>
    </p>
    <h2>GigaChat</h2>
    <table tabindex="0">
      <tr>
        <th>API host</th>
        <td>${gigachat.api_host}</td>
      </tr>
      <tr>
        <th>OAuth host</th>
        <td>${gigachat.auth_host}</td>
      </tr>
      <tr>
        <th>Default backend</th>
        <td>${gigachat.default_backend}</td>
      </tr>
      <tr>
        <th>v2 host</th>
        <td>${gigachat.v2_host ?? "—"}</td>
      </tr>
      <tr>
        <th>Redis</th>
        <td>${store.configured ? (store.reachable ? "reachable" : "unreachable") : "not used"}</td>
      </tr>
    </table>
    <h2>Credentials</h2>
    <table tabindex="0">
      <thead>
        <tr>
          <th>Name</th>
          <th>State</th>
          <th>Why</th>
          <th>Retry in</th>
          <th>Generations</th>
          <th>Cap</th>
        </tr>
      </thead>
      <tbody>
        ${credentials.map((c) =>
          html`
            <tr>
              <td>${c.name}</td>
              <td class=${c.state === "ready" ? "ok" : "error"}>${c.state}</td>
              <td>${c.reason ?? ""}</td>
              <td>${c.retry_in_s === undefined ? "" : `${c.retry_in_s} s`}</td>
              <td>${c.active}</td>
              <td>${c.concurrency || "no cap"}</td>
            </tr>
          `
        )}
      </tbody>
    </table>
  `;
}

/** Whose traffic the admin API gave: with REDIS_URL, every instance's. */
function scopeName(scope: unknown): string {
  return scope === "all instances" ? "all instances" : "this instance";
}

/** A uPlot chart of `series` over `x` (Unix seconds), redrawn when the data change. */
function Chart(
  { x, series, title }: {
    x: number[];
    series: { label: string; values: number[] }[];
    title: string;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (box.current === null) return;
    const colors = ["#1a7f4b", "#2f6fde", "#c2571a", "#8e44ad", "#b3261e", "#607d8b"];
    const plot = new uPlot(
      {
        title,
        width: Math.max(300, box.current.clientWidth),
        height: 260,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: colors[i % colors.length],
            width: 2,
          })),
        ],
      },
      [x, ...series.map((s) => s.values)],
      box.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(x), JSON.stringify(series)]);
  return html`<div class="chart" ref=${box} role="img" aria-label=${title}></div>`;
}

function Live() {
  const { data, error } = useApi<Json>("/admin/live?minutes=15", 10_000);
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p class="muted">Loading…</p>`;
  const samples = data.samples as Json[];
  const x = samples.map((s) => s.t as number);
  const errors = new Map<string, number[]>();
  samples.forEach((s, i) => {
    for (const [code, n] of Object.entries(s.errors_by_code as Record<string, number>)) {
      if (!errors.has(code)) errors.set(code, samples.map(() => 0));
      errors.get(code)![i] = n;
    }
  });
  const seconds = data.interval_s as number;
  const each = (field: string, scale = 1) =>
    samples.map((s) => Math.round((s[field] as number) * scale * 100) / 100);
  const averageWait = samples.map((s) =>
    (s.slotted as number) > 0 ? Math.round((s.queue_wait_ms as number) / (s.slotted as number)) : 0
  );
  return html`
    <h2>Live (${scopeName(data.scope)}, the last 15 minutes)</h2>
    <div class="grid">
      <div class="stat">Open streams<b>${data.open_streams}</b></div>
      <div class="stat">Waiting now<b>${data.queue_length}</b></div>
      <div class="stat">Generating<b>${data.generating}</b></div>
    </div>
    <${Chart} title="Requests per second" x=${x} series=${[
      { label: "requests", values: each("requests", 1 / seconds) },
      { label: "errors", values: each("errors", 1 / seconds) },
    ]} />
    <${Chart} title="Tokens per minute" x=${x} series=${[
      { label: "in", values: each("tokens_in", 60 / seconds) },
      { label: "out", values: each("tokens_out", 60 / seconds) },
    ]} />
    <${Chart} title="Waits for a GigaChat slot (ms)" x=${x} series=${[
      { label: "average", values: averageWait },
      { label: "longest", values: each("queue_wait_ms_max") },
    ]} />
    <${Chart} title="Waiting and streaming (peaks)" x=${x} series=${[
      { label: "waiting", values: each("queue_length_max") },
      { label: "open streams", values: each("open_streams_max") },
    ]} />
    ${errors.size > 0 &&
      html`<${Chart} title="Errors by code (per 10 s)" x=${x} series=${
        [...errors].map(([label, values]) => ({ label, values }))
      } />`}
  `;
}

function Usage() {
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  const [range, setRange] = useState({ from: monthAgo, to: today, by: "model" });
  const query = `from=${range.from}&to=${range.to}`;
  const { data, error } = useApi<{ data: Json[] }>(`/admin/usage?${query}`);
  const change = (event: Event) => {
    const form = new FormData((event.target as HTMLElement).closest("form")!);
    setRange({
      from: String(form.get("from")),
      to: String(form.get("to")),
      by: String(form.get("by")),
    });
  };
  const days: string[] = [];
  for (let t = Date.parse(range.from); t <= Date.parse(range.to); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  const rows = data?.data ?? [];
  const group = (row: Json) => String(range.by === "key" ? row.key_name : row.model);
  const names = [...new Set(rows.map(group))];
  const values = (name: string, field: string) =>
    days.map((day) =>
      rows.filter((r) => r.day === day && group(r) === name)
        .reduce((sum, r) => sum + (r[field] as number), 0)
    );
  const x = days.map((day) => Date.parse(day) / 1000);
  return html`
    <h2>Usage</h2>
    <form class="row" onChange=${change}>
      <label>From <input type="date" name="from" value=${range.from} /></label>
      <label>To <input type="date" name="to" value=${range.to} /></label>
      <label>By <select name="by" value=${range.by}>
        <option value="model">model</option><option value="key">key</option>
      </select></label>
      <a href=${`/admin/usage?${query}&format=csv`} download="usage.csv">Download CSV</a>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    <${Chart} title="Tokens per day" x=${x} series=${names.map((name) => ({
      label: name,
      values: values(name, "tokens_in").map((v, i) => v + values(name, "tokens_out")[i]),
    }))} />
    <${Chart} title="Requests per day" x=${x} series=${names.map((name) => ({
      label: name,
      values: values(name, "requests"),
    }))} />
  `;
}

const SETTINGS = (key: string, base: string) => ({
  "OpenClaw": JSON.stringify(
    {
      models: {
        providers: {
          gigachat: {
            baseUrl: `${base}/v1`,
            apiKey: key,
            api: "openai-completions",
            models: [{ id: "GigaChat-2-Max", name: "GigaChat-2-Max" }],
          },
        },
      },
    },
    null,
    2,
  ),
  "Codex CLI":
    `codex exec -c model_provider=gigachat -c 'model_providers.gigachat={name="GigaChat",` +
    `base_url="${base}/v1",env_key="GIGACHAT_GATEWAY_KEY",wire_api="responses"}' ` +
    `-m GigaChat-2-Max "hello"   # with GIGACHAT_GATEWAY_KEY=${key}`,
  "Claude Code": `ANTHROPIC_BASE_URL=${base} ANTHROPIC_API_KEY=${key} ` +
    `ANTHROPIC_MODEL=GigaChat-2-Max claude`,
  "Gemini CLI": `GOOGLE_GEMINI_BASE_URL=${base} GEMINI_API_KEY=${key} gemini -m GigaChat-2-Max`,
});

function Keys() {
  const { data, error, reload } = useApi<{ data: Json[] }>("/admin/keys?limit=1000");
  const [made, setMade] = useState<Json>();
  const [problem, setProblem] = useState("");
  const create = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const body: Json = { name: form.get("name") };
    for (const field of ["rpm", "daily_tokens", "max_concurrent"]) {
      const value = String(form.get(field) ?? "");
      if (value !== "") body[field] = Number(value);
    }
    const models = String(form.get("allowed_models") ?? "").split(",").map((m) => m.trim())
      .filter(Boolean);
    if (models.length > 0) body.allowed_models = models;
    try {
      setMade(await api("/admin/keys", { method: "POST", body: JSON.stringify(body) }));
      setProblem("");
      (event.target as HTMLFormElement).reset();
      reload();
    } catch (e) {
      setProblem((e as Error).message);
    }
  };
  const revoke = async (id: string, name: string) => {
    if (!confirm(`Revoke the key ${name}? Its clients are refused at once.`)) return;
    await api(`/admin/keys/${id}`, { method: "DELETE" }).catch((e) => setProblem(e.message));
    reload();
  };
  const change = async (id: string, field: string, value: string) => {
    const body = { [field]: value === "" ? null : Number(value) };
    await api(`/admin/keys/${id}`, { method: "PATCH", body: JSON.stringify(body) })
      .catch((e) => setProblem(e.message));
    reload();
  };
  return html`
    <h2>Keys</h2>
    <form class="row" onSubmit=${create} aria-label="New key">
      <label>Name <input name="name" required /></label>
      <label>Requests a minute <input name="rpm" type="number" min="1" /></label>
      <label>Tokens a day <input name="daily_tokens" type="number" min="1" /></label>
      <label>At once <input name="max_concurrent" type="number" min="1" /></label>
      <label>Models (comma-separated) <input name="allowed_models" /></label>
      <button class="primary" type="submit">Create key</button>
    </form>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${made && html`<${NewKey} made=${made} onClose=${() => setMade(undefined)} />`}
    ${error && html`<p class="error">${error}</p>`}
    <table tabindex="0">
      <thead>
        <tr>
          <th>Name</th>
          <th>Id</th>
          <th>Requests/min</th>
          <th>Tokens/day</th>
          <th>Models</th>
          <th>State</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${(data?.data ?? []).map((key) =>
          html`
            <tr>
              <td>${key.name}</td>
              <td class="muted">${key.id}</td>
              <td>${limitInput(key, "rpm", "Requests a minute", change)}</td>
              <td>${limitInput(key, "daily_tokens", "Tokens a day", change)}</td>
              <td>${((key.allowed_models as string[] | undefined) ?? []).join(", ") || "all"}</td>
              <td>${keyState(key)}</td>
              <td>${!key.disabled &&
                html`<button class="danger" onClick=${() =>
                  revoke(key.id as string, key.name as string)}>Revoke</button>`}</td>
            </tr>
          `
        )}
      </tbody>
    </table>
  `;
}

/** A key's limit, changed as soon as it is edited (empty: no limit). */
function limitInput(
  key: Json,
  field: string,
  label: string,
  change: (id: string, field: string, value: string) => void,
): VNode {
  return html`
    <input aria-label=${`${label} of ${key.name}`} type="number" min="1"
      value=${key[field] ?? ""}
      onChange=${(e: Event) =>
        change(key.id as string, field, (e.target as HTMLInputElement).value)} />
  ` as VNode;
}

function NewKey({ made, onClose }: { made: Json; onClose: () => void }) {
  const secret = made.key as string;
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(secret).then(() => setCopied(true), () => {});
  };
  return html`
    <div class="card" role="region" aria-label="The new key">
      <p>The key <b>${made.name}</b>, shown this once:</p>
      <p class="secret" data-testid="new-key">${secret}</p>
      <p><button onClick=${copy}>${copied
        ? "Copied"
        : "Copy"}</button> <button onClick=${onClose}>Done</button></p>
      ${Object.entries(SETTINGS(secret, location.origin)).map(([tool, text]) =>
        html`
          <p><b>${tool}</b></p>
          <pre tabindex="0" aria-label=${`Settings for ${tool}`}>${text}</pre>
        `
      )}
    </div>
  `;
}

function Requests() {
  const [filter, setFilter] = useState({ key: "", status: "", model: "" });
  const query = Object.entries(filter).filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  const { data, error } = useApi<{ data: Json[]; scope?: string }>(
    `/admin/requests?limit=200&${query}`,
    5000,
  );
  const change = (event: Event) => {
    const form = new FormData((event.target as HTMLElement).closest("form")!);
    setFilter({
      key: String(form.get("key") ?? ""),
      status: String(form.get("status") ?? ""),
      model: String(form.get("model") ?? ""),
    });
  };
  return html`
    <h2>Recent requests (${scopeName(data?.scope)})</h2>
    <form class="row" onChange=${change} onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Key <input name="key" /></label>
      <label>Status <input name="status" inputmode="numeric" /></label>
      <label>Model <input name="model" /></label>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    <table tabindex="0">
      <thead>
        <tr>
          <th>Time</th>
          <th>Key</th>
          <th>Route</th>
          <th>Dialect</th>
          <th>Model</th>
          <th>Status</th>
          <th>ms</th>
          <th>Waited ms</th>
          <th>Tokens in/out</th>
          <th>Error</th>
          <th>Request id</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.data ?? []).map((r) =>
          html`
            <tr>
              <td>${String(r.time).slice(11, 19)}</td>
              <td>${r.key_name ?? ""}</td>
              <td>${r.route ?? r.path}</td>
              <td>${r.dialect ?? ""}</td>
              <td>${r.model ?? ""}</td>
              <td class=${(r.status as number) >= 400 ? "error" : ""}>${r.status}</td>
              <td>${Math.round(r.duration_ms as number)}</td>
              <td>${r.queue_ms ?? ""}</td>
              <td>${r.tokens_in ?? ""}${r.tokens_in === undefined ? "" : "/"}${r.tokens_out ??
                ""}</td>
              <td>${r.error_code ?? ""}</td>
              <td class="muted">${r.request_id}</td>
            </tr>
          `
        )}
      </tbody>
    </table>
  `;
}

function Models() {
  const { data, error } = useApi<{ data: Json[]; aliases: Record<string, string> }>(
    "/admin/models",
  );
  if (error) return html`<p class="error">${error}</p>`;
  return html`
    <h2>Models</h2>
    <table tabindex="0">
      <thead>
        <tr>
          <th>Model</th>
          <th>Context</th>
          <th>Max output</th>
          <th>Vision</th>
          <th>Reasoning</th>
          <th>Tools</th>
          <th>Fallbacks</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.data ?? []).map((m) =>
          html`
            <tr>
              <td>${m.id}</td>
              <td>${m.context_window ?? ""}</td>
              <td>${m.max_output_tokens ?? ""}</td>
              <td>${yes(m.vision)}</td>
              <td>${yes(m.reasoning)}</td>
              <td>${yes(m.tools)}</td>
              <td>${(m.fallbacks as string[]).join(", ")}</td>
            </tr>
          `
        )}
      </tbody>
    </table>
    <h2>Aliases</h2>
    <table tabindex="0">
      ${Object.entries(data?.aliases ?? {}).map(([alias, target]) =>
        html`
          <tr>
            <td>${alias}</td>
            <td>${target}</td>
          </tr>
        `
      )}
    </table>
  `;
}

function Playground() {
  const models = useApi<{ data: Json[] }>("/admin/models").data?.data ?? [];
  const [answer, setAnswer] = useState({ text: "", reasoning: "", tools: "", error: "" });
  const [exchange, setExchange] = useState({ request: "", response: "" });
  const [busy, setBusy] = useState(false);
  const send = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const key = String(form.get("key"));
    const dialect = String(form.get("dialect"));
    const model = String(form.get("model"));
    const prompt = String(form.get("prompt"));
    const call = playgroundCall(dialect, key, model, prompt);
    setBusy(true);
    setAnswer({ text: "", reasoning: "", tools: "", error: "" });
    setExchange({ request: JSON.stringify(call.body, null, 2), response: "" });
    try {
      const response = await fetch(call.path, {
        method: "POST",
        headers: { "content-type": "application/json", ...call.headers },
        body: JSON.stringify(call.body),
      });
      if (!response.ok || response.body === null) {
        const text = await response.text();
        setAnswer((a) => ({ ...a, error: `HTTP ${response.status}: ${text}` }));
        setExchange((x) => ({ ...x, response: text }));
        return;
      }
      const events: unknown[] = [];
      await readEvents(response.body, (data) => {
        if (data === "[DONE]") return;
        const event = JSON.parse(data) as Json;
        events.push(event);
        const delta = DELTAS[dialect](event);
        setAnswer((a) => ({
          ...a,
          text: a.text + delta.text,
          reasoning: a.reasoning + delta.reasoning,
          tools: a.tools + delta.tools,
        }));
      });
      setExchange((x) => ({ ...x, response: JSON.stringify(events, null, 2) }));
    } catch (e) {
      setAnswer((a) => ({ ...a, error: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return html`
    <h2>Playground</h2>
    <form onSubmit=${send} aria-label="Playground">
      <div class="row">
        <label>API key (a proxy key or one made on Keys) <input name="key" type="password" required /></label>
        <label>Dialect <select name="dialect">
          <option value="chat">chat completions</option>
          <option value="responses">Responses</option>
          <option value="messages">Anthropic Messages</option>
          <option value="gemini">Gemini</option>
        </select></label>
        <label>Model <select name="model">
          ${models.map((m) => html`<option>${m.id}</option>`)}
        </select></label>
      </div>
      <label>Message <textarea name="prompt" required>Hello! Who are you?</textarea></label>
      <p><button class="primary" type="submit" disabled=${busy}>${busy
        ? "Streaming…"
        : "Send"}</button></p>
    </form>
    ${answer.error && html`<p class="error" role="alert">${answer.error}</p>`}
    ${answer.reasoning && html`<p class="reasoning">${answer.reasoning}</p>`}
    <p class="answer" data-testid="answer" aria-live="polite">${answer.text}</p>
    ${answer.tools && html`<pre tabindex="0" aria-label="Tool calls">${answer.tools}</pre>`}
    ${exchange.request && html`
      <details>
        <summary>Request</summary>
        <pre tabindex="0" aria-label="Request">${exchange.request}</pre>
      </details>
    `}
    ${exchange.response && html`
      <details>
        <summary>Answer events</summary>
        <pre tabindex="0" aria-label="Answer events">${exchange.response}</pre>
      </details>
    `}
  `;
}

/** The streaming request of `dialect` for one user message, as its SDK would send it. */
function playgroundCall(
  dialect: string,
  key: string,
  model: string,
  prompt: string,
): { path: string; headers: Record<string, string>; body: Json } {
  const bearer = { authorization: `Bearer ${key}` };
  switch (dialect) {
    case "messages":
      return {
        path: "/v1/messages",
        headers: { "x-api-key": key, "anthropic-version": "2023-06-01" },
        body: {
          model,
          max_tokens: 1024,
          stream: true,
          messages: [{ role: "user", content: prompt }],
        },
      };
    case "responses":
      return {
        path: "/v1/responses",
        headers: bearer,
        body: { model, stream: true, input: prompt },
      };
    case "gemini":
      return {
        path: `/v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`,
        headers: { "x-goog-api-key": key },
        body: { contents: [{ role: "user", parts: [{ text: prompt }] }] },
      };
    default:
      return {
        path: "/v1/chat/completions",
        headers: bearer,
        body: { model, stream: true, messages: [{ role: "user", content: prompt }] },
      };
  }
}

type Delta = { text: string; reasoning: string; tools: string };

/** What each dialect's stream event adds to the answer. */
const DELTAS: Record<string, (event: Json) => Delta> = {
  chat: chatDelta,
  messages: messagesDelta,
  responses: (event) => ({
    text: event.type === "response.output_text.delta" ? String(event.delta ?? "") : "",
    reasoning: event.type === "response.reasoning_summary_text.delta"
      ? String(event.delta ?? "")
      : "",
    tools: event.type === "response.function_call_arguments.delta" ? String(event.delta ?? "") : "",
  }),
  gemini: (event) => {
    const parts = (((event.candidates as Json[] | undefined)?.[0]?.content as Json | undefined)
      ?.parts as Json[] | undefined) ?? [];
    return {
      text: parts.filter((p) => !p.thought && typeof p.text === "string").map((p) => p.text)
        .join(""),
      reasoning: parts.filter((p) => p.thought === true).map((p) => String(p.text ?? "")).join(""),
      tools: parts.filter((p) => p.functionCall !== undefined)
        .map((p) => JSON.stringify(p.functionCall)).join("\n"),
    };
  },
};

/** Calls `onData` with each SSE event's data as it arrives. */
async function readEvents(body: ReadableStream<Uint8Array>, onData: (data: string) => void) {
  const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
  const reader = body.pipeThrough(decoder).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    // Google's stream frames its events with CRLF.
    // (a CR and its LF may come in two reads, so the whole buffer is normalised).
    buffer = (buffer + value).replace(/\r\n/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart()).join("\n");
      if (data !== "") onData(data);
    }
  }
}

function chatDelta(event: Json): { text: string; reasoning: string; tools: string } {
  const delta = ((event.choices as Json[] | undefined)?.[0]?.delta ?? {}) as Json;
  const calls = (delta.tool_calls as Json[] | undefined) ?? [];
  return {
    text: (delta.content as string | undefined) ?? "",
    reasoning: (delta.reasoning_content as string | undefined) ?? "",
    tools: calls.map((c) => JSON.stringify(c.function)).join("\n"),
  };
}

function messagesDelta(event: Json): { text: string; reasoning: string; tools: string } {
  const delta = (event.delta ?? {}) as Json;
  return {
    text: event.type === "content_block_delta" ? (delta.text as string | undefined) ?? "" : "",
    reasoning: (delta.thinking as string | undefined) ?? "",
    tools: (delta.partial_json as string | undefined) ?? "",
  };
}

/** A key revoked (the admin API disables it), expired, or in use. */
function keyState(key: Json): string {
  if (key.disabled) return "revoked";
  const expires = key.expires_at as number | null;
  return expires !== null && expires * 1000 <= Date.now() ? "expired" : "active";
}

function yes(value: unknown): string {
  return value === true ? "yes" : value === false ? "no" : "";
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor(seconds % 3600 / 60)} min`;
}

render(html`<${App} />`, document.body);
