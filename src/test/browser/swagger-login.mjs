// Logs in to Holdfast's Swagger UI through the identity provider and calls the API from it, in a real Chromium.
// Run by dev.holdfast.it.SwaggerLoginIT, which asserts on the one JSON line this prints on stdout.
// Input comes from the environment only (the password must never be an argument):
//   SWAGGER_URL   the service's Swagger UI, e.g. http://127.0.0.1:8080/q/swagger-ui/
//   API_PATH      the GET operation to execute, e.g. /api/backups
//   LOGIN_USER, LOGIN_PASSWORD   a user of the identity provider
//   CHROMIUM      the browser (default /usr/bin/chromium); ARTIFACTS a directory for a screenshot on failure
// Nothing secret is printed: not the password, not the token (only the Authorization header's scheme).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
};
const swaggerUrl = env('SWAGGER_URL');
const apiPath = env('API_PATH', '/api/backups');
const user = env('LOGIN_USER');
const password = env('LOGIN_PASSWORD');
const artifacts = env('ARTIFACTS', 'target');
const STEP_TIMEOUT = 30_000;

const result = { steps: [] };
let step = 'launch';
const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext();
context.setDefaultTimeout(STEP_TIMEOUT);
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text().slice(0, 300)); });

/** The operation block of GET apiPath. */
const operation = () => page.locator('.opblock.opblock-get', {
  has: page.locator(`.opblock-summary-path[data-path="${apiPath}"]`),
}).first();

/** Clicks Execute on the operation and returns what the API answered, as seen on the wire and in the page. */
async function execute(label) {
  step = `execute (${label})`;
  const op = operation();
  const clear = op.locator('button.btn-clear');
  if (await clear.count()) await clear.click();
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === apiPath && r.request().method() === 'GET'),
    op.locator('button.execute').click(),
  ]);
  const body = await response.text();
  let json = null;
  try { json = JSON.parse(body); } catch { /* not JSON */ }
  // What Swagger UI shows the user: the live response's status code.
  const shown = (await op.locator('.live-responses-table .response .response-col_status').first()
    .textContent({ timeout: STEP_TIMEOUT })).trim();
  const auth = response.request().headers()['authorization'];
  return {
    status: response.status(),
    shown_status: shown,
    content_type: response.headers()['content-type'] ?? null,
    body_is_json: json !== null && typeof json === 'object',
    body_keys: json && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json).sort() : null,
    authorization_scheme: auth ? auth.split(' ')[0] : null,
  };
}

try {
  step = 'open Swagger UI';
  await page.goto(swaggerUrl);
  await operation().waitFor();
  result.steps.push(step);

  step = 'try it out';
  await operation().locator('.opblock-summary').first().click();
  await operation().locator('button.try-out__btn').click();
  result.steps.push(step);

  result.without_login = await execute('without login');
  result.steps.push('execute without login');

  step = 'open Authorize dialog';
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.waitFor();
  // The openIdConnect scheme shows one section per grant the provider advertises; the login is the code flow.
  const section = dialog.locator('.auth-container', { hasText: 'authorization_code' }).first();
  await section.waitFor();
  result.login_section = (await section.locator('h4').first().textContent()).trim();
  result.client_id = await section.locator('input[id^="client_id"]').first().inputValue({ timeout: 2000 })
    .catch(() => null);
  result.steps.push(step);

  step = 'log in at the identity provider';
  const [popup] = await Promise.all([
    context.waitForEvent('page'),
    section.locator('button.authorize').click(),
  ]);
  popup.setDefaultTimeout(STEP_TIMEOUT);
  await popup.locator('#username').waitFor();
  result.login_page = new URL(popup.url()).origin + new URL(popup.url()).pathname;
  const authorizeRequest = new URL(popup.url()).searchParams;
  result.pkce_challenge_method = authorizeRequest.get('code_challenge_method');
  result.redirect_uri = authorizeRequest.get('redirect_uri');
  await popup.locator('#username').fill(user);
  await popup.locator('#password').fill(password);
  await Promise.all([
    popup.waitForEvent('close', { timeout: STEP_TIMEOUT }),
    popup.locator('#kc-login').click(),
  ]);
  result.steps.push(step);

  step = 'back in Swagger UI, authorized';
  await section.locator('button', { hasText: 'Logout' }).waitFor();
  const errors = await section.locator('.errors').allTextContents();
  result.login_errors = errors.map((e) => e.trim()).filter((e) => e);
  await dialog.locator('button.btn-done, button.close-modal').first().click();
  await dialog.waitFor({ state: 'detached' });
  result.steps.push(step);

  result.with_login = await execute('with login');
  result.steps.push('execute with login');
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failed_step = step;
  result.error = String(e && e.message ? e.message : e).split('\n').slice(0, 6).join('\n');
  result.console_errors = consoleErrors.slice(-10);
  try {
    mkdirSync(artifacts, { recursive: true });
    for (const [i, p] of context.pages().entries()) {
      await p.screenshot({ path: join(artifacts, `swagger-login-failure-${i}.png`), fullPage: true });
    }
    result.screenshots = artifacts;
  } catch { /* best effort */ }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(result.ok ? 0 : 1);
