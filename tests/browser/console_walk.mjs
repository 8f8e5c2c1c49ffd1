// Drives the console in Debian's headless Chromium with playwright-core (run by Node from
// tests/console_browser_test.ts): sign in, keys, requests, usage, playground, revoke. Prints
// one JSON line of what it saw; screenshots go to SCREENSHOTS.
import { createRequire } from "node:module";
import { join } from "node:path";

const { PLAYWRIGHT_DIR, ORIGIN, ADMIN_TOKEN, SCREENSHOTS, CHROMIUM } = process.env;
const { chromium } = createRequire(join(PLAYWRIGHT_DIR, "package.json"))("playwright-core");

const seen = { consoleErrors: [], steps: [] };
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") {
      seen.consoleErrors.push(`${message.text()} (${message.location().url})`);
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

  await page.goto(`${ORIGIN}/console`);
  await page.getByLabel("Admin token (ADMIN_TOKEN)").fill("not-the-admin-token-42");
  await page.getByRole("button", { name: "Sign in" }).click();
  step("wrong token", await page.getByRole("alert").textContent());
  // The browser reports the refused sign-in itself; that one is meant.
  const refused = seen.consoleErrors.findIndex((e) => /401.*\/console\/session\)$/.test(e));
  if (refused >= 0) seen.consoleErrors.splice(refused, 1);
  await shot("sign-in");
  await page.getByLabel("Admin token (ADMIN_TOKEN)").fill(ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Credentials" }).waitFor();
  step("status credentials", await page.locator("main table").nth(1).textContent());
  await shot("status");

  await page.getByRole("link", { name: "Keys" }).click();
  await page.getByLabel("Name").fill("browser-e2e");
  await page.getByLabel("Requests a minute", { exact: true }).fill("100");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-key").textContent()).trim();
  step("key made", key.startsWith("gk-"));
  await shot("keys");
  // Its limit changed in the table, as the admin API then has it.
  const rpm = page.getByLabel("Requests a minute of browser-e2e");
  await rpm.fill("50");
  await rpm.dispatchEvent("change");
  let keys = [];
  for (let i = 0; i < 50 && !keys.some((k) => k.rpm === 50); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
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

  await page.getByRole("link", { name: "Requests" }).click();
  await page.getByLabel("Key").fill("browser-e2e");
  await page.getByLabel("Key").dispatchEvent("change");
  const row = page.locator("main tbody tr", { hasText: "browser-e2e" }).first();
  await row.waitFor();
  step("request row", await row.textContent());
  await shot("requests");

  // Usage is written once a second.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await page.getByRole("link", { name: "Usage" }).click();
  await page.getByRole("link", { name: "Status" }).click();
  await page.getByRole("link", { name: "Usage" }).click();
  const usage = page.getByRole("img", { name: "Tokens per day" });
  await usage.locator("canvas").waitFor();
  await page.locator(".u-legend", { hasText: "GigaChat-2-Max" }).first().waitFor();
  step("usage legend", await page.locator(".u-legend").first().textContent());
  await shot("usage");

  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByLabel("API key (a proxy key or one made on Keys)").fill(key);
  await page.getByLabel("Model").selectOption("GigaChat-2-Max");
  await page.getByRole("textbox", { name: "Message" }).fill("Tell me about streams");
  for (const dialect of ["responses", "messages", "gemini", "chat"]) {
    await page.getByLabel("Dialect").selectOption(dialect);
    await page.getByRole("button", { name: "Send" }).click();
    // The answer grows as its chunks come (the fake sends one every 30 ms).
    const lengths = new Set();
    for (let i = 0; i < 60 && !(await page.getByRole("button", { name: "Send" }).count()); i++) {
      lengths.add((await page.getByTestId("answer").textContent()).length);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await page.getByRole("button", { name: "Send" }).waitFor();
    step(`playground ${dialect}`, await page.getByTestId("answer").textContent());
    step(`playground ${dialect} partial lengths`, [...lengths].filter((n) => n > 0).length);
  }
  await shot("playground");

  await page.getByRole("link", { name: "Live" }).click();
  await page.getByRole("img", { name: "Requests per 10 s" }).locator("canvas").waitFor();
  await shot("live");
  await page.getByRole("link", { name: "Models" }).click();
  await page.getByRole("cell", { name: "GigaChat-2-Max" }).first().waitFor();
  await shot("models");

  await page.getByRole("link", { name: "Keys" }).click();
  await page.locator("tr", { hasText: "browser-e2e" }).getByRole("button", { name: "Revoke" })
    .click();
  await page.locator("tr", { hasText: "browser-e2e" }).getByText("revoked").waitFor();
  const after = await api("/v1/chat/completions", key, {
    model: "GigaChat-2-Max",
    messages: [{ role: "user", content: "still there?" }],
  });
  step("chat after revoking", after.status);
  await after.body?.cancel();

  // Phone width: the pages still read (nothing wider than the screen but the tables).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("link", { name: "Status" }).click();
  await page.getByRole("heading", { name: "Credentials" }).waitFor();
  step("phone overflow", await page.evaluate(() => document.body.scrollWidth - innerWidth));
  await shot("status-phone");
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(seen) + "\n");
