// Drives the console in a headless browser with puppeteer-core (run by Node from
// tests/console_browser_test.ts): Debian's Chromium over the DevTools protocol, or Debian's
// Firefox ESR over WebDriver BiDi, with the same steps. Elements are found by what a user
// reads (a label, a button's text, an aria-label), in the page itself, since Firefox's BiDi
// has no accessibility locator. Prints one JSON line of what it saw; screenshots go to
// SCREENSHOTS.
import { createRequire } from "node:module";
import { join } from "node:path";

const { PUPPETEER_DIR, BROWSER, BROWSER_PATH, ORIGIN, ADMIN_TOKEN, SCREENSHOTS, AXE_PATH } =
  process.env;
const puppeteer = createRequire(join(PUPPETEER_DIR, "package.json"))("puppeteer-core");
const AXE = AXE_PATH ? (await import("node:fs")).readFileSync(AXE_PATH, "utf8") : "";

const seen = { browser: "", consoleErrors: [], steps: [], accessibility: {} };
const browser = await puppeteer.launch({
  browser: BROWSER,
  executablePath: BROWSER_PATH,
  headless: true,
  args: BROWSER === "chrome"
    ? [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ]
    : [],
  extraPrefsFirefox: {
    "network.captive-portal-service.enabled": false,
    "app.update.enabled": false,
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
  },
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  seen.browser = await browser.version();
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on("console", (message) => {
    if (message.type() === "error") {
      seen.consoleErrors.push(`${message.text()} (${message.location()?.url ?? ""})`);
    }
  });
  page.on("pageerror", (error) => seen.consoleErrors.push(String(error)));
  page.on("dialog", (dialog) => dialog.accept());
  const shot = (name) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const step = (name, value) => seen.steps.push([name, value]);
  const api = (path, key, body) =>
    fetch(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });

  /**
   * The first element matching `selector` whose name (aria-label, else its label's own text,
   * else its text) is `name` (or holds it, when not `exact`), once it shows; `within` limits
   * the search to the elements matching it that hold `withinText`.
   */
  const find = async (selector, name, { exact = true, within, withinText } = {}) => {
    const handle = await page.waitForFunction(
      (selector, name, exact, within, withinText) => {
        const nameOf = (el) => {
          const aria = el.getAttribute("aria-label");
          if (aria) return aria.trim();
          if (el.labels?.length) {
            const label = el.labels[0].cloneNode(true);
            label.querySelectorAll("input, select, textarea").forEach((c) => c.remove());
            return label.textContent.trim();
          }
          return el.textContent.trim();
        };
        const scopes = within
          ? [...document.querySelectorAll(within)].filter((s) => s.textContent.includes(withinText))
          : [document];
        for (const scope of scopes) {
          for (const el of scope.querySelectorAll(selector)) {
            const text = nameOf(el);
            if (exact ? text === name : text.includes(name)) return el;
          }
        }
        return null;
      },
      { timeout: 15_000 },
      selector,
      name,
      exact,
      within ?? null,
      withinText ?? "",
    );
    return handle.asElement();
  };
  const field = (label) => find("input, select, textarea", label);
  const button = (text) => find("button", text);
  const link = (text) => find("a", text);
  const textOf = (handle) => handle.evaluate((el) => el.textContent);
  /** Types `value` over what the field held, as a user does, then leaves it (change). */
  const fill = async (handle, value) => {
    await handle.evaluate((el) => {
      el.value = "";
    });
    await handle.type(value);
    await handle.evaluate((el) => el.dispatchEvent(new Event("change", { bubbles: true })));
  };
  /** axe-core's serious and critical findings on the page as it is now. */
  const audit = async (name) => {
    if (!AXE) return;
    const found = await page.evaluate(async (source) => {
      if (!globalThis.axe) (0, eval)(source);
      const result = await globalThis.axe.run(document, {
        resultTypes: ["violations"],
      });
      return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
    }, AXE);
    seen.accessibility[name] = found;
  };

  await page.goto(`${ORIGIN}/console`);
  await fill(await field("Admin token (ADMIN_TOKEN)"), "not-the-admin-token-42");
  await (await button("Sign in")).click();
  step("wrong token", await textOf(await find("[role=alert]", "", { exact: false })));
  // The browser may report the refused sign-in itself; that one is meant.
  const refused = seen.consoleErrors.findIndex((e) => /401/.test(e));
  if (refused >= 0) seen.consoleErrors.splice(refused, 1);
  await audit("sign-in");
  await shot("sign-in");
  await fill(await field("Admin token (ADMIN_TOKEN)"), ADMIN_TOKEN);
  await (await button("Sign in")).click();
  await find("h2, h3", "Credentials");
  step("status credentials", await page.$$eval("main table", (t) => t[1]?.textContent));
  await audit("status");
  await shot("status");

  await (await link("Keys")).click();
  await fill(await field("Name"), "browser-e2e");
  await fill(await field("Requests a minute"), "100");
  await (await button("Create key")).click();
  const key = (await textOf(await find("[data-testid=new-key]", "gk-", { exact: false })))
    .trim();
  step("key made", key.startsWith("gk-"));
  await audit("keys");
  await shot("keys");
  // Its limit changed in the table, as the admin API then has it.
  await fill(await field("Requests a minute of browser-e2e"), "50");
  let keys = [];
  for (let i = 0; i < 50 && !keys.some((k) => k.rpm === 50); i++) {
    await sleep(20);
    keys = (await (await fetch(`${ORIGIN}/admin/keys`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })).json()).data;
  }
  step("rpm changed", keys.find((k) => k.name === "browser-e2e")?.rpm);

  const chat = await api("/v1/chat/completions", key, {
    model: "GigaChat-2-Max",
    messages: [{ role: "user", content: "Hello from the browser test" }],
  });
  step("chat with the new key", chat.status);
  await chat.body?.cancel();

  await (await link("Requests")).click();
  await fill(await field("Key"), "browser-e2e");
  const row = await find("main tbody tr", "browser-e2e", { exact: false });
  step("request row", await textOf(row));
  await audit("requests");
  await shot("requests");

  // Usage is written once a second.
  await sleep(1500);
  await (await link("Usage")).click();
  await (await link("Status")).click();
  await (await link("Usage")).click();
  await find("[role=img][aria-label='Tokens per day'] canvas", "", { exact: false });
  const legend = await find(".u-legend", "GigaChat-2-Max", { exact: false });
  step("usage legend", await textOf(legend));
  await audit("usage");
  await shot("usage");

  await (await link("Playground")).click();
  await fill(await field("API key (a proxy key or one made on Keys)"), key);
  await (await field("Model")).select("GigaChat-2-Max");
  await fill(await field("Message"), "Tell me about streams");
  for (const dialect of ["responses", "messages", "gemini", "chat"]) {
    await (await field("Dialect")).select(dialect);
    // The answer grows as its chunks come (the fake sends one every 30 ms): its lengths are
    // noted in the page as they change, whatever the protocol's round trips cost.
    const answer = await page.$("[data-testid=answer]");
    await answer.evaluate((el) => {
      globalThis.lengths = new Set();
      globalThis.watch?.disconnect();
      globalThis.watch = new MutationObserver(() => globalThis.lengths.add(el.textContent.length));
      globalThis.watch.observe(el, { childList: true, characterData: true, subtree: true });
    });
    await (await button("Send")).click();
    await page.waitForFunction(() =>
      [...globalThis.lengths].some((n) => n > 0) &&
      [...document.querySelectorAll("button")].some((b) => b.textContent.trim() === "Send")
    );
    const lengths = await page.evaluate(() => [...globalThis.lengths]);
    step(`playground ${dialect}`, await textOf(answer));
    step(`playground ${dialect} partial lengths`, lengths.filter((n) => n > 0).length);
  }
  await audit("playground");
  await shot("playground");

  await (await link("Live")).click();
  await find("[role=img][aria-label='Requests per second'] canvas", "", { exact: false });
  step("live queue", await textOf(await find("main", "Waiting now", { exact: false })));
  await audit("live");
  await shot("live");
  await (await link("Models")).click();
  await find("td", "GigaChat-2-Max");
  await audit("models");
  await shot("models");

  await (await link("Keys")).click();
  await (await find("button", "Revoke", { within: "tr", withinText: "browser-e2e" })).click();
  await find("td, span", "revoked", { exact: false, within: "tr", withinText: "browser-e2e" });
  const after = await api("/v1/chat/completions", key, {
    model: "GigaChat-2-Max",
    messages: [{ role: "user", content: "still there?" }],
  });
  step("chat after revoking", after.status);
  await after.body?.cancel();

  // From the keyboard alone: Tab to the Models link, Enter opens it.
  await (await link("Status")).click();
  await find("h2, h3", "Credentials");
  await page.evaluate(() => document.activeElement?.blur());
  let tabs = 0;
  while (
    tabs++ < 30 && await page.evaluate(() => document.activeElement?.textContent) !== "Models"
  ) {
    await page.keyboard.press("Tab");
  }
  await page.keyboard.press("Enter");
  await find("h2", "Models");
  step("models from the keyboard", await page.evaluate(() => location.hash));

  // Phone width: every page still reads (nothing wider than the screen but the tables, which
  // scroll in their own box).
  await page.setViewport({ width: 390, height: 844 });
  let widest = 0;
  for (const name of ["Status", "Live", "Usage", "Keys", "Requests", "Playground", "Models"]) {
    await (await link(name)).click();
    await sleep(300);
    widest = Math.max(widest, await page.evaluate(() => document.body.scrollWidth - innerWidth));
  }
  step("phone overflow", widest);
  await (await link("Status")).click();
  await find("h2, h3", "Credentials");
  await shot("status-phone");

  // Every session ended from the page: it asks to sign in again, and the admin API agrees.
  await (await button("Sign out everywhere")).click();
  await button("Sign in");
  step(
    "signed in after signing out everywhere",
    await page.evaluate(async () => (await (await fetch("/console/session")).json()).signed_in),
  );
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(seen) + "\n");
