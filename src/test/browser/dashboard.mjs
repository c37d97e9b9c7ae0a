// Walks through Holdfast's web dashboard as a viewer, an operator and an admin, in a real Chromium, logging in on
// the identity provider's own page. Run by dev.holdfast.it.DashboardIT, which asserts on the one JSON line this
// prints last on stdout.
// Input comes from the environment only (passwords must never be arguments):
//   BASE_URL            the service, e.g. http://127.0.0.1:8080
//   VIEWER_USER, VIEWER_PASSWORD, OPERATOR_USER, OPERATOR_PASSWORD, ADMIN_USER, ADMIN_PASSWORD
//   SOURCE              the database source to back up; TABLES the tables to pick in the form (comma-separated)
//   RESTORE_TARGET      the database the admin restores the backup into (an allowed restore target)
//   CHROMIUM            the browser (default /usr/bin/chromium); ARTIFACTS a directory for screenshots on failure
//   SCREENSHOTS         optional: a directory for the documentation's screenshots (docs/dashboard)
// Talking to the test: a line `signal <name> <argument>` on stdout asks the Java side to act (lock or release the
// source's tables, check the restore target's rows, end a user's session at the provider); it answers with one line on stdin once done.
// Nothing secret is printed: no password, no token, no cookie value.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
};
const base = env('BASE_URL');
const users = {
  viewer: { user: env('VIEWER_USER'), password: env('VIEWER_PASSWORD') },
  operator: { user: env('OPERATOR_USER'), password: env('OPERATOR_PASSWORD') },
  admin: { user: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') },
};
const source = env('SOURCE');
const tables = env('TABLES').split(',');
const restoreTarget = env('RESTORE_TARGET');
const artifacts = env('ARTIFACTS', 'target');
const screenshots = process.env.SCREENSHOTS || null;
const STEP_TIMEOUT = 30_000;
// A backup waits for the test to release the table it locked; generous, the Java side ends a stuck run anyway.
const JOB_TIMEOUT = 120_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const result = { steps: [], axe: {}, csp_violations: [], pages_audited: [] };
let step = 'launch';

const answers = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
/** Asks the Java side to do something only it can (hold a database lock, end a session), and waits until done. */
async function signal(name, argument = '') {
  process.stdout.write(`signal ${name} ${argument}\n`);
  const answer = await answers.next();
  if (answer.done || answer.value.trim() !== 'ok') throw new Error(`the test answered ${name} with ${answer.value}`);
}

const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A fresh browser profile (no cookies), so that each role logs in on its own. */
async function newPage(role) {
  const context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on('console', (m) => {
    // Chromium reports a blocked script, style or connection as a console error naming the policy.
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
      result.csp_violations.push(`${role} ${page.url()}: ${m.text().slice(0, 300)}`);
    }
  });
  return page;
}

const path = (page) => new URL(page.url()).pathname;
const texts = async (locator) => (await locator.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());

/** Runs axe-core on the page and keeps its serious and critical violations under the label. */
async function audit(page, label) {
  // Evaluated through the DevTools protocol, not a script tag: the page's CSP rightly refuses inline scripts.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  result.pages_audited.push(label);
  result.axe[label] = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Opens a dashboard path, checks it rendered as a page of ours (not an error), audits it. */
async function visit(page, target, label) {
  const response = await page.goto(base + target);
  await page.locator('main h1').waitFor();
  await audit(page, label);
  return response.status();
}

async function screenshot(page, name) {
  if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

/** Opens /ui, follows the redirect to the provider's login page, logs in there and returns on the overview. */
async function login(page, role) {
  step = `log in as ${role}`;
  await page.goto(base + '/ui');
  await page.locator('#username').waitFor();
  const at = new URL(page.url());
  const login = {
    page: at.origin + at.pathname,
    client_id: at.searchParams.get('client_id'),
    code_challenge_method: at.searchParams.get('code_challenge_method'),
    response_type: at.searchParams.get('response_type'),
    redirect_uri: at.searchParams.get('redirect_uri'),
  };
  await page.locator('#username').fill(users[role].user);
  await page.locator('#password').fill(users[role].password);
  await Promise.all([
    page.waitForURL((u) => u.origin === base && u.pathname === '/ui'),
    page.locator('#kc-login').click(),
  ]);
  await page.locator('main h1').waitFor();
  login.landed_on = path(page);
  login.who = (await page.locator('header .who').textContent()).trim();
  result.steps.push(step);
  return login;
}

/** What a role is offered on the overview, the backup list and a backup's page. */
async function offered(page, role, backupId) {
  step = `${role}: overview, list and detail`;
  const seen = {};
  await visit(page, '/ui', `overview (${role})`);
  seen.overview_sources = await texts(page.locator('section[aria-labelledby="h-sources"] tbody th'));
  seen.overview_states = await texts(page.locator('section[aria-labelledby="h-sources"] tbody .state'));
  await visit(page, '/ui/backups', `backups (${role})`);
  seen.list_new_backup = await page.locator('a[href="/ui/new-backup"]').count() > 0;
  seen.list_rows = await texts(page.locator('table.backups tbody th'));
  await visit(page, `/ui/backups/${backupId}`, `backup (${role})`);
  const actions = page.locator('section.actions');
  seen.detail_status = (await page.locator('.facts .state').first().textContent()).trim();
  seen.detail_buttons = await texts(actions.locator('button'));
  seen.detail_links = await texts(actions.locator('a'));
  result.steps.push(step);
  return seen;
}

/** Follows a restore's page to its end (live, if it was still running), then reads its report from the page. */
async function restoreOutcome(page, label) {
  const id = path(page).split('/').pop();
  if (await page.locator('#live').count()) {
    await page.locator('#live [data-final]').waitFor({ timeout: JOB_TIMEOUT });
    await page.reload();
  }
  await page.locator('main h1').waitFor();
  await audit(page, label);
  const rows = await page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const cells = [...tr.children].map((c) => c.textContent.trim());
    return { table: cells[0], rows_now: cells[1], rows_after: cells[2], in_backup: cells[3], problem: cells[4] };
  }));
  return {
    id,
    heading: (await page.locator('main h1').textContent()).replace(/\s+/g, ' ').trim(),
    status: (await page.locator('.facts .state').first().textContent()).trim(),
    mode: (await page.locator('.facts dt:text-is("Mode") + dd').textContent()).trim(),
    summary: (await page.locator('main section h2 + p').first().textContent()).replace(/\s+/g, ' ').trim(),
    tables: rows,
    failed_checks: await page.locator('main details li strong.error').count(),
    checks: await page.locator('main details li').count(),
  };
}

try {
  // --- operator: creates a backup from the form and follows it live -------------------------------------------
  const operator = await newPage('operator');
  result.operator = { login: await login(operator, 'operator') };
  if (screenshots) mkdirSync(screenshots, { recursive: true });

  step = 'operator: the create form';
  await visit(operator, '/ui/new-backup', 'new backup (operator)');
  result.operator.form_tables = await operator.locator(`select[name="include_tables"][id="tables-${source}"] option`)
    .evaluateAll((os) => os.map((o) => o.value));
  await operator.locator('input[name="name"]').fill('from-the-browser');
  await operator.locator('input[name="description"]').fill('DashboardIT: picked tables');
  await operator.locator('input[name="backup_type"][value="database"]').check();
  await operator.locator('select[name="compression"]').selectOption('gzip');
  await operator.locator(`input[name="databases"][value="${source}"]`).check();
  await operator.locator(`#tables-${source}`).selectOption(tables);
  await screenshot(operator, 'new-backup');
  result.steps.push(step);

  step = 'operator: submit and follow the live progress';
  // The test holds a lock on a picked table, so the job stays in its snapshot phase until the page has shown it.
  await signal('lock', tables[0]);
  await Promise.all([
    operator.waitForURL((u) => /^\/ui\/backups\/[0-9a-f-]{36}$/.test(u.pathname)),
    operator.locator('form.stack button[type="submit"]').click(),
  ]);
  result.backup_id = path(operator).split('/').pop();
  const live = operator.locator('#live');
  await live.waitFor();
  const fragments = [];
  // Every fragment the SSE extension swaps in, kept in the page so that none is missed between two reads.
  await operator.evaluate(() => {
    window.__fragments = [];
    const target = document.getElementById('live');
    new MutationObserver(() => window.__fragments.push(target.textContent.replace(/\s+/g, ' ').trim()))
      .observe(target, { childList: true, subtree: true, characterData: true });
  });
  await operator.waitForFunction(() => /running.*snapshot/.test(document.getElementById('live').textContent),
    null, { timeout: JOB_TIMEOUT });
  result.operator.progress_while_locked = (await live.textContent()).replace(/\s+/g, ' ').trim();
  result.operator.progress_bar_while_locked = await live.locator('progress').count();
  await signal('release', tables[0]);
  await operator.locator('#live [data-final]').waitFor({ timeout: JOB_TIMEOUT });
  fragments.push(...await operator.evaluate(() => window.__fragments));
  result.operator.progress_fragments = [...new Set(fragments)];
  result.operator.final_fragment = (await live.textContent()).replace(/\s+/g, ' ').trim();
  result.operator.final_state = await live.locator('[data-final]').getAttribute('data-final');
  // Still the same document: what the observer installed in it saw was swapped in, not loaded.
  result.operator.same_document = await operator.evaluate(() => Array.isArray(window.__fragments));
  result.steps.push(step);

  result.operator.offered = await offered(operator, 'operator', result.backup_id);
  result.operator.detail_tables = await texts(operator.locator('table caption + thead + tbody th'));

  // --- viewer: sees everything, is offered nothing, and a forged POST is refused --------------------------------
  const viewer = await newPage('viewer');
  result.viewer = { login: await login(viewer, 'viewer') };
  result.viewer.offered = await offered(viewer, 'viewer', result.backup_id);

  step = 'viewer: the create form is refused';
  result.viewer.new_backup_status = (await viewer.goto(base + '/ui/new-backup')).status();
  result.viewer.new_backup_page = (await viewer.locator('main').textContent()).replace(/\s+/g, ' ').trim();
  await audit(viewer, 'forbidden (viewer)');
  result.steps.push(step);

  step = 'viewer: forged POST to delete';
  await visit(viewer, `/ui/backups/${result.backup_id}`, `backup (viewer, before the forged POST)`);
  // A form injected into the viewer's own page: same origin, the session and CSRF cookies go along, and its token
  // field carries the viewer's valid CSRF token (read from the browser's cookie store, which no page script can: the
  // cookie is HttpOnly), so only the role can be the reason for a refusal.
  const csrf = (await viewer.context().cookies(base + '/ui')).find((c) => c.name === 'holdfast_csrf');
  result.viewer.csrf_cookie = csrf ? { http_only: csrf.httpOnly, same_site: csrf.sameSite, path: csrf.path } : null;
  const [forged] = await Promise.all([
    viewer.waitForResponse((r) => r.request().method() === 'POST'),
    viewer.evaluate(([id, token]) => {
      const f = document.createElement('form');
      f.method = 'post';
      f.action = `/ui/backups/${id}/delete`;
      for (const [name, value] of [['csrf', token], ['confirm', 'yes']]) {
        const i = document.createElement('input');
        i.type = 'hidden';
        i.name = name;
        i.value = value;
        f.appendChild(i);
      }
      document.body.appendChild(f);
      f.submit();
    }, [result.backup_id, csrf ? csrf.value : '']),
  ]);
  await viewer.locator('main h1').waitFor();
  result.viewer.forged_post = {
    status: forged.status(),
    heading: (await viewer.locator('main h1').textContent()).trim(),
    reason: (await viewer.locator('main [role="alert"]').textContent()).trim(),
  };
  result.steps.push(step);

  step = 'viewer: phone-sized screen';
  await viewer.setViewportSize(PHONE);
  result.phone = {};
  for (const [label, target] of [['overview', '/ui'], ['backups', '/ui/backups'],
    ['backup', `/ui/backups/${result.backup_id}`]]) {
    await visit(viewer, target, `${label} (phone)`);
    result.phone[label] = await viewer.evaluate(() => ({
      scroll_width: document.documentElement.scrollWidth, inner_width: window.innerWidth,
    }));
  }
  await viewer.setViewportSize(DESKTOP);
  result.steps.push(step);

  step = 'viewer: keyboard';
  await viewer.goto(base + '/ui');
  await viewer.locator('main h1').waitFor();
  result.nav_links = await viewer.locator('nav[aria-label="Main"] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  result.keyboard = [];
  for (let i = 0; i < result.nav_links.length + 3; i++) {
    await viewer.keyboard.press('Tab');
    result.keyboard.push(await viewer.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return {
        text: el.textContent.trim(),
        href: el.getAttribute('href'),
        in_main_nav: el.closest('nav[aria-label="Main"]') !== null,
        focus_visible: el.matches(':focus-visible'),
        outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
        box_shadow: style.boxShadow,
      };
    }));
  }
  result.steps.push(step);

  // --- admin: offered everything --------------------------------------------------------------------------------
  const admin = await newPage('admin');
  result.admin = { login: await login(admin, 'admin') };
  result.admin.offered = await offered(admin, 'admin', result.backup_id);
  step = 'admin: the other pages';
  for (const target of ['/ui/restores', '/ui/jobs', '/ui/schedules', '/ui/drills', '/ui/sources', '/ui/audit']) {
    await visit(admin, target, `${target.slice(4)} (admin)`);
  }
  result.steps.push(step);

  step = 'admin: screenshots';
  await visit(admin, `/ui/backups/${result.backup_id}`, 'backup (admin, screenshot)');
  await screenshot(admin, 'backup');
  await visit(admin, '/ui/backups', 'backups (admin, screenshot)');
  await screenshot(admin, 'backups');
  await visit(admin, '/ui', 'overview (admin, screenshot)');
  await screenshot(admin, 'overview');
  result.steps.push(step);

  // --- admin: restores the backup into another database, dry run first ------------------------------------------
  step = 'admin: restore form';
  await visit(admin, `/ui/backups/${result.backup_id}`, 'backup (admin, before the restore)');
  await Promise.all([
    admin.waitForURL((u) => u.pathname === `/ui/backups/${result.backup_id}/restore`),
    admin.locator('section.actions a', { hasText: 'Restore' }).click(),
  ]);
  await admin.locator('main h1').waitFor();
  await audit(admin, 'restore form (admin)');
  result.restore = { submit_label: (await admin.locator('form.stack button[type="submit"]').textContent()).trim() };
  await admin.locator('input[name="restore_mode"][value="replace"]').check();
  await admin.locator(`input[name="databases"][value="${source}"]`).check();
  await admin.locator('#target').fill(restoreTarget);
  await admin.locator('#description').fill('DashboardIT: rows lost in the copy');
  await screenshot(admin, 'restore-new');
  result.steps.push(step);

  step = 'admin: dry run';
  await Promise.all([
    admin.waitForURL((u) => /^\/ui\/restores\/[0-9a-f-]{36}$/.test(u.pathname)),
    admin.locator('form.stack button[type="submit"]').click(),
  ]);
  result.restore.dry_run = await restoreOutcome(admin, 'dry run (admin)');
  await screenshot(admin, 'restore-dry-run');
  await signal('check-target-unchanged', restoreTarget);
  result.steps.push(step);

  step = 'admin: confirmed restore';
  const confirmation = admin.locator('form[action$="/confirm"]');
  result.restore.confirm_label = (await confirmation.locator('label[for="confirm"]').textContent()).replace(/\s+/g, ' ').trim();
  // A wrong name first: refused, nothing restored.
  await confirmation.locator('#confirm').fill(`${restoreTarget}-typo`);
  const [wrong] = await Promise.all([
    admin.waitForResponse((r) => r.request().method() === 'POST'),
    confirmation.locator('button[type="submit"]').click(),
  ]);
  await admin.locator('main h1').waitFor();
  result.restore.wrong_name = { status: wrong.status(), page: (await admin.locator('main').textContent()).replace(/\s+/g, ' ').trim() };
  await signal('check-target-unchanged', restoreTarget);
  await admin.goBack();
  await admin.locator('form[action$="/confirm"] #confirm').fill(restoreTarget);
  await Promise.all([
    admin.waitForURL((u) => /^\/ui\/restores\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(result.restore.dry_run.id)),
    admin.locator('form[action$="/confirm"] button[type="submit"]').click(),
  ]);
  result.restore.real = await restoreOutcome(admin, 'restore (admin)');
  await screenshot(admin, 'restore');
  result.steps.push(step);

  step = 'admin: roll back';
  await signal('check-target-restored', restoreTarget);
  const rollback = admin.locator('form[action$="/rollback"] button[type="submit"]');
  result.restore.rollback_offered = await rollback.count() > 0;
  await Promise.all([
    admin.waitForURL((u) => /^\/ui\/restores\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(result.restore.real.id)),
    rollback.click(),
  ]);
  result.restore.rollback = await restoreOutcome(admin, 'rollback (admin)');
  await signal('check-target-unchanged', restoreTarget);
  result.steps.push(step);

  // --- an expired session: the provider's session is over and the session cookie gone -----------------------------
  step = 'admin: expired session';
  await signal('end-sessions', users.admin.user);
  // The session cookie, and the chunks Quarkus splits a large one into.
  const sessionCookies = (await admin.context().cookies(base + '/ui')).map((c) => c.name).filter((n) => n.startsWith('q_session'));
  await admin.context().clearCookies({ name: /^q_session/ });
  const expired = await admin.goto(base + '/ui/backups');
  await admin.locator('#username').waitFor();
  result.expired = {
    session_cookies_cleared: sessionCookies.length,
    status: expired.status(),
    at: new URL(admin.url()).origin + new URL(admin.url()).pathname,
    shows_login_form: await admin.locator('#kc-login').isVisible(),
  };
  await admin.locator('#username').fill(users.admin.user);
  await admin.locator('#password').fill(users.admin.password);
  await Promise.all([
    admin.waitForURL((u) => u.origin === base && u.pathname.startsWith('/ui')),
    admin.locator('#kc-login').click(),
  ]);
  await admin.locator('main h1').waitFor();
  result.expired.after_login = path(admin);
  result.expired.heading = (await admin.locator('main h1').textContent()).trim();
  result.steps.push(step);

  // --- logout ends the session ----------------------------------------------------------------------------------
  step = 'operator: logout';
  await operator.goto(base + '/ui');
  await operator.locator('main h1').waitFor();
  const before = (await operator.context().cookies(base + '/ui')).filter((c) => c.name.startsWith('q_session')).length;
  await Promise.all([
    operator.waitForURL((u) => u.origin === base && u.pathname === '/ui/logged-out'),
    operator.locator('header a[href="/ui/logout"]').click(),
  ]);
  await operator.locator('main h1').waitFor();
  await audit(operator, 'logged out');
  result.logout = {
    session_cookies_before: before,
    landed_on: path(operator),
    heading: (await operator.locator('main h1').textContent()).trim(),
    session_cookies: (await operator.context().cookies(base + '/ui')).filter((c) => c.name.startsWith('q_session')).length,
  };
  await operator.goto(base + '/ui');
  await operator.locator('#username').waitFor();
  result.logout.next_visit = new URL(operator.url()).origin + new URL(operator.url()).pathname;
  result.steps.push(step);

  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failed_step = step;
  result.error = String(e && e.message ? e.message : e).split('\n').slice(0, 6).join('\n');
  try {
    mkdirSync(artifacts, { recursive: true });
    for (const [c, context] of browser.contexts().entries()) {
      for (const [i, p] of context.pages().entries()) {
        await p.screenshot({ path: join(artifacts, `dashboard-failure-${c}-${i}.png`), fullPage: true });
      }
    }
    result.screenshots = artifacts;
  } catch { /* best effort */ }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(result.ok ? 0 : 1);
