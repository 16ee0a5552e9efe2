/**
 * @jest-environment node
 */
/*
 * End to end in a real browser: the demo (backend, app dev server, example receiver) and
 * Debian's Chromium driven by playwright-core. It fails, never skips, without Chromium.
 */
import path from 'node:path';
import {
  appUrl,
  backendUrl,
  secondUrl,
  screenshots,
  guestToken,
  startDemoInBrowser,
  stopDemoInBrowser,
  signedInPage,
  closePages,
  createRun,
  waitForFinal,
  receivedEvents,
  holdStep,
} from './__testUtils__/demoInBrowser';
import { seriousViolations } from './__testUtils__/axe';

jest.setTimeout(300_000);

beforeAll(startDemoInBrowser);
afterEach(closePages);
afterAll(stopDemoInBrowser);

describe('self-service actions in the browser', () => {
  it('runs the demo action from a Service page and watches it complete live', async () => {
    const { page, consoleErrors } = await signedInPage();
    const clickedTab = Date.now();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Restart service' }).click();
    const reason = page.getByLabel('Reason');
    await reason.waitFor();
    const interactiveMs = Date.now() - clickedTab;
    // eslint-disable-next-line no-console
    console.log(`tab click to interactive form: ${interactiveMs} ms`);
    await page.screenshot({ path: path.join(screenshots, 'run-dialog.png') });

    // client validation: the required reason is missing
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('Reason is required').first().waitFor();

    await reason.fill('Pods stuck after deploy');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.waitFor();
    // an in-progress step arrives first, then the run completes, without reloading the page
    await view.locator('[data-testid="run-step"] [data-status="inprogress"]').first().waitFor({ timeout: 20_000 });
    await view.locator(':scope > div [data-testid="run-status"][data-status="complete"]').first().waitFor({ timeout: 30_000 });
    await view.getByText('Verify', { exact: true }).waitFor();
    await view.getByText('Run action').click();
    await view.getByText('Rollout finished').waitFor();
    await page.screenshot({ path: path.join(screenshots, 'run-complete.png') });
    expect(await view.getByTestId('run-step').count()).toBe(5);
    expect(consoleErrors).toEqual([]);
  });

  it('shows a failing webhook as failed with the reason', async () => {
    const { page, consoleErrors } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Scale database' }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.locator('[data-testid="run-status"][data-status="failed"]').first().waitFor();
    await view.getByTestId('run-error').getByText('Webhook answered 500: Internal error: the automation is down').waitFor();
    await page.screenshot({ path: path.join(screenshots, 'run-failed.png') });
    expect(consoleErrors).toEqual([]);
  });

  it('disables Run with the reason for an action the user may not run, and the API refuses it', async () => {
    const { page } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    const run = page.getByRole('button', { name: 'Run Fail over region' });
    await run.waitFor();
    expect(await run.isDisabled()).toBe(true);
    await page.getByTestId('run-disabled-failover-region').hover();
    await page.getByRole('tooltip').getByText('Only the action owners and allowed people may run this action').waitFor();

    const res = await fetch(`${backendUrl}/api/self-service-actions/actions/failover-region/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await guestToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ entityRef: 'component:default/payments', inputs: { region: 'eu-west-1' } }),
    });
    expect(res.status).toBe(403);
  });

  it('holds a run for approval until a second identity approves it on its page, then it completes', async () => {
    const { page, consoleErrors } = await signedInPage('jane');
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Deploy to production' }).click();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.locator('[data-testid="run-status"][data-status="pending-approval"]').first().waitFor();
    await view.getByTestId('approval-waiting').getByText('Waiting for 1 more approval from group:default/platform').waitFor();
    expect(await view.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Open page' }).click();
    await page.waitForURL(/\/self-service-actions\/runs\//);
    const runPath = new URL(page.url()).pathname;

    // olivia finds it awaiting her on the Self-service page and approves it on its own page
    const olivia = await signedInPage('olivia', '/self-service-actions');
    await olivia.page.getByText('Awaiting my approval').waitFor({ timeout: 30_000 });
    await olivia.page.getByTestId('awaiting-run').getByRole('link', { name: 'Deploy to production' }).click();
    await olivia.page.waitForURL(`**${runPath}`);
    await olivia.page.getByLabel('Comment').fill('Ship it');
    await olivia.page.screenshot({ path: path.join(screenshots, 'run-approval.png') });
    await olivia.page.getByRole('button', { name: 'Approve' }).click();
    await olivia.page.getByTestId('run-approval').getByText('Ship it').waitFor();

    // jane's page follows the run to the end, with olivia's decision on it
    // the run's own status (in its summary), not one of its steps
    await page
      .getByTestId('run-summary')
      .locator('[data-testid="run-status"][data-status="complete"]')
      .waitFor({ timeout: 45_000 });
    await page.getByTestId('run-approval').getByText('Ship it').waitFor();

    // both were notified, each notification linking to the run's page
    await olivia.page.goto(`${appUrl}/notifications`);
    await olivia.page.getByText('Approval requested: Deploy to production').first().waitFor({ timeout: 30_000 });
    await page.goto(`${appUrl}/notifications`);
    await page.getByText('Deploy to production: complete').first().waitFor({ timeout: 30_000 });
    await page.getByText('Approved: Deploy to production').first().click();
    await page.waitForURL(`**${runPath}`);
    await page.getByTestId('run-summary').waitFor();
    expect(consoleErrors).toEqual([]);
    expect(olivia.consoleErrors).toEqual([]);
  });

  it('opens a run page by URL and follows its steps and the running step log live', async () => {
    // a run held for approval: the page is open, and live, before its first step starts
    const { id } = await createRun('deploy-production', { version: '2.0.1' });
    const { page, consoleErrors } = await signedInPage('jane', `/self-service-actions/runs/${id}`);
    await page.getByRole('heading', { name: 'Deploy to production on payments' }).waitFor();
    const summary = page.getByTestId('run-summary');
    await summary.getByText(id).waitFor();
    await summary.locator('[data-testid="run-status"][data-status="pending-approval"]').waitFor();
    // its rollout stays in progress at the receiver until the page has shown it running
    const rollout = holdStep(id, 'Run action');
    // olivia (platform team) approves through the API of the second instance
    const approved = await fetch(`${secondUrl}/api/self-service-actions/runs/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await guestToken(secondUrl)}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status).toBe(200);
    // while the run goes on, the log shown is the running step's (checked in the page, often)
    await page.waitForFunction(
      () => {
        const running = [...document.querySelectorAll('[data-testid="run-step"]')].find(step =>
          step.querySelector('[data-testid="run-status"][data-status="inprogress"]'),
        );
        const title = running?.querySelector('[class*="MuiListItemText-primary"]')?.textContent;
        const heading = [...document.querySelectorAll('h2')].map(h => h.textContent);
        return Boolean(title) && heading.includes(`Log of ${title}`);
      },
      undefined,
      { polling: 100, timeout: 30_000 },
    );
    rollout.release();
    await summary.locator('[data-testid="run-status"][data-status="complete"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('run-steps').getByTestId('run-step').count()).toBe(5);
    await page.getByTestId('run-steps').getByText('Run action').click();
    await page.getByRole('heading', { name: 'Log of Run action' }).waitFor();
    await page.getByTestId('step-log').getByText('Rollout finished').waitFor();
    await page.getByRole('table', { name: 'Inputs' }).getByText('Version').waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(screenshots, 'run-page.png') });
    // eslint-disable-next-line no-console
    console.log(`run page screenshot: ${path.join(screenshots, 'run-page.png')}`);
    expect(consoleErrors).toEqual([]);
  });

  it('cancels a run only after confirmation; its running step ends not finished', async () => {
    const { page, consoleErrors } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Restart service' }).click();
    await page.getByLabel('Reason').fill('Cancel me');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const view = page.getByTestId('run-view');
    await view.getByRole('button', { name: 'Cancel run' }).click();
    const confirm = page.getByRole('dialog', { name: 'Cancel this run of Restart service?' });
    await confirm.getByText('The external system is told nothing').waitFor();
    await confirm.getByRole('button', { name: 'Cancel run' }).click();
    await view.locator('[data-testid="run-status"][data-status="terminated"]').first().waitFor();
    await view.getByTestId('run-message').getByText('Cancelled by').waitFor();
    // (waited for: while the confirmation closes, MUI keeps the view aria-hidden)
    await view.getByRole('button', { name: 'Re-run' }).waitFor();
    // no step of the cancelled run is left in progress
    expect(await view.locator('[data-testid="run-step"] [data-status="inprogress"]').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it('asks to type the entity name before running a Delete action', async () => {
    const { page } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'Run Decommission service' }).click();
    const run = page.getByRole('button', { name: 'Decommission payments', exact: true });
    expect(await run.isDisabled()).toBe(true);
    await page.getByLabel('Type payments to confirm').fill('paymen');
    expect(await run.isDisabled()).toBe(true);
    await page.getByLabel('Type payments to confirm').fill('payments');
    expect(await run.isDisabled()).toBe(false);
  });

  it('has no serious or critical accessibility violation on the tab, the run form, a run page and the Self-service page', async () => {
    const { page } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByText('Restart service', { exact: true }).first().waitFor();
    expect({ screen: 'entity tab', violations: await seriousViolations(page) }).toEqual({ screen: 'entity tab', violations: [] });

    await page.getByRole('button', { name: 'Run Restart service' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect({ screen: 'run form', violations: await seriousViolations(page) }).toEqual({ screen: 'run form', violations: [] });
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    await dialog.getByText('Reason is required').waitFor();
    expect({ screen: 'run form with errors', violations: await seriousViolations(page) }).toEqual({
      screen: 'run form with errors',
      violations: [],
    });
    await page.keyboard.press('Escape');

    const created = await createRun('restart-service', { reason: 'accessibility' });
    await page.goto(`${appUrl}/self-service-actions/runs/${created.id}`);
    await page.getByRole('button', { name: /Download log/i }).waitFor();
    expect({ screen: 'run page', violations: await seriousViolations(page) }).toEqual({ screen: 'run page', violations: [] });

    await page.goto(`${appUrl}/self-service-actions`);
    await page.getByRole('table', { name: 'Runs' }).waitFor();
    expect({ screen: 'Self-service page', violations: await seriousViolations(page) }).toEqual({
      screen: 'Self-service page',
      violations: [],
    });

    // the editor of the action Jane's team made in the portal
    await page.goto(`${appUrl}/self-service-actions/actions/purge-cdn/edit`);
    await page.getByLabel('Paths').waitFor();
    expect({ screen: 'action editor', violations: await seriousViolations(page) }).toEqual({
      screen: 'action editor',
      violations: [],
    });
  });

  it('re-runs a Delete run only after the entity name is typed, naming its target', async () => {
    const created = await createRun('decommission-service', {});
    await waitForFinal(created.id);
    const { page, consoleErrors } = await signedInPage('jane', `/self-service-actions/runs/${created.id}`);
    await page.getByRole('button', { name: 'Re-run' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Re-run Decommission service on payments').waitFor();
    const confirm = dialog.getByRole('button', { name: 'Decommission payments', exact: true });
    expect(await confirm.isDisabled()).toBe(true);
    // the entity's name, not the action's
    await dialog.getByLabel('Type payments to confirm').fill('Decommission service');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type payments to confirm').fill('payments');
    await confirm.click();
    // the new run's page, a re-run of the first
    await page.waitForURL(url => url.pathname.startsWith('/self-service-actions/runs/') && !url.pathname.endsWith(created.id));
    const rerunId = new URL(page.url()).pathname.split('/').pop()!;
    const rerun = await fetch(`${backendUrl}/api/self-service-actions/runs/${rerunId}`, {
      headers: { authorization: `Bearer ${await guestToken()}` },
    }).then(res => res.json());
    expect(rerun).toMatchObject({ actionId: 'decommission-service', entityRef: 'component:default/payments', rerunOf: created.id });
    expect(consoleErrors).toEqual([]);
  });

  it('shows a run started elsewhere in the runs table without a reload', async () => {
    const before = await createRun('restart-service', { reason: 'shown on load' });
    const { page, consoleErrors } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    const rowLink = (id: string) => page.locator(`table a[href$="/self-service-actions/runs/${id}"]`).first();
    await rowLink(before.id).waitFor();
    const created = await createRun('restart-service', { reason: 'started elsewhere' });
    // the new run's row, linking to its page, arrives through signals
    await rowLink(created.id).waitFor({ timeout: 15_000 });
    expect(consoleErrors).toEqual([]);
  });

  it("sends a run's lifecycle events to the demo receiver; an admin sees a failed delivery and sends it again", async () => {
    const run = await createRun('restart-service', { reason: 'events for the audit sink' });
    await waitForFinal(run.id);
    // The example receiver verified each signature: created, dispatched, succeeded, in order.
    const deadline = Date.now() + 30_000;
    const ofRun = () => receivedEvents().filter(event => event.data.run.id === run.id);
    while (ofRun().length < 3 && Date.now() < deadline) await new Promise(r => setTimeout(r, 250));
    expect(ofRun().map(event => [event.type, event.data.sequence])).toEqual([
      ['run.created', 1],
      ['run.dispatched', 2],
      ['run.succeeded', 3],
    ]);

    // Nobody listens for audit-sink: its delivery fails within seconds (retryFor 4 s here).
    const oliviaToken = await guestToken(secondUrl);
    const failedDelivery = async () => {
      const res = await fetch(`${backendUrl}/api/self-service-actions/events/deliveries?status=failed&subscriberId=audit-sink&limit=100`, {
        headers: { authorization: `Bearer ${oliviaToken}` },
      });
      const body = await res.json();
      return body.items.find((item: { runId: string }) => item.runId === run.id);
    };
    const until = Date.now() + 60_000;
    while (!(await failedDelivery()) && Date.now() < until) await new Promise(r => setTimeout(r, 500));
    expect(await failedDelivery()).toMatchObject({ type: 'run.created', status: 'failed' });

    // jane is no admin: no card, and the API says 403.
    const jane = await signedInPage('jane', '/self-service-actions');
    await jane.page.getByRole('table', { name: 'Runs' }).getByRole('link').first().waitFor();
    // The card asks once on load, gets 403 and renders nothing (it shows nothing until then).
    await jane.page.waitForTimeout(2_000);
    expect(await jane.page.getByText('Event deliveries').count()).toBe(0);
    const denied = await fetch(`${backendUrl}/api/self-service-actions/events/deliveries`, {
      headers: { authorization: `Bearer ${await guestToken()}` },
    });
    expect(denied.status).toBe(403);

    const olivia = await signedInPage('olivia', '/self-service-actions');
    await olivia.page.setViewportSize({ width: 1280, height: 800 });
    const retry = olivia.page.getByRole('button', {
      name: `Retry delivery of run.created for run ${run.id} to audit-sink`,
    });
    await retry.scrollIntoViewIfNeeded();
    await olivia.page.screenshot({ path: path.join(screenshots, 'event-deliveries.png') });
    await retry.click();
    await olivia.page.getByRole('button', { name: `Retry delivery of run.created for run ${run.id} to audit-sink` }).waitFor({ state: 'detached' });
    expect(olivia.consoleErrors).toEqual([]);
    expect(jane.consoleErrors).toEqual([]);
  });

  it('previews the request of a run for an owner, secrets as ***, and offers no preview to a runner', async () => {
    // olivia (platform team, the action's owner) may preview; jane may only run.
    const olivia = await signedInPage('olivia');
    await olivia.page.setViewportSize({ width: 1280, height: 800 });
    await olivia.page.getByRole('tab', { name: 'Self-service' }).click();
    await olivia.page.getByRole('button', { name: 'Run Restart service' }).click();
    await olivia.page.getByLabel('Reason').fill('Check the request first');
    await olivia.page.getByRole('button', { name: 'Preview request' }).click();
    const region = olivia.page.getByRole('region', { name: 'Request preview' });
    await region.waitFor();
    const head = await region.getByRole('region', { name: 'Request line and headers, scrollable' }).textContent();
    expect(head).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/webhook\?env=demo/);
    expect(head).toContain('Authorization: ***');
    expect(head).not.toContain('demo-hook-token');
    expect(await region.getByRole('region', { name: 'Request body' }).textContent()).toContain('"reportToken": "***"');
    await olivia.page.screenshot({ path: path.join(screenshots, 'run-preview.png') });
    expect(olivia.consoleErrors).toEqual([]);

    const jane = await signedInPage();
    await jane.page.getByRole('tab', { name: 'Self-service' }).click();
    await jane.page.getByRole('button', { name: 'Run Restart service' }).click();
    await jane.page.getByLabel('Reason').waitFor();
    expect(await jane.page.getByRole('button', { name: 'Preview request' }).count()).toBe(0);
  });

  it('lets an owner create a Draft in the editor, preview and test-fire it, activate it; a developer then runs it', async () => {
    const olivia = await signedInPage('olivia', '/self-service-actions');
    await olivia.page.setViewportSize({ width: 1280, height: 800 });
    await olivia.page.getByRole('button', { name: 'New action' }).click();
    await olivia.page.getByLabel('Name').fill('Warm cache');
    const url = olivia.page.getByLabel('URL');
    // prefilled with the first allowed URL prefix (the demo receiver)
    await url.fill(`${await url.inputValue()}webhook`);
    await olivia.page.getByLabel('Owner', { exact: true }).fill('group:default/platform');
    await olivia.page.getByLabel('Who may run it').fill('group:default/team-a');
    await olivia.page.getByRole('textbox', { name: 'Headers (JSON)' }).fill('{ "Authorization": "Bearer {{ secrets.DEMO_HOOK_TOKEN }}" }');
    // the demo receiver refuses unsigned webhooks: signed with the secret the action names
    await olivia.page.getByLabel('Signing secret').fill('{{ secrets.DEMO_SIGNING_SECRET }}');
    await olivia.page.getByRole('button', { name: 'Save as Draft' }).click();
    await olivia.page.waitForURL(/\/self-service-actions\/actions\/warm-cache\/edit$/);
    // the form as developers will see it, drawn from the schema; its inputs go into the preview
    await olivia.page.getByLabel('Reason').fill('Before the sale');
    await olivia.page.getByRole('button', { name: 'Preview request' }).click();
    const region = olivia.page.getByRole('region', { name: 'Request preview' });
    const head = await region.getByRole('region', { name: 'Request line and headers, scrollable' }).textContent();
    expect(head).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/webhook/);
    expect(head).toContain('Authorization: ***');
    expect(head).not.toContain('demo-hook-token');
    expect(await region.getByRole('region', { name: 'Request body' }).textContent()).toContain('Before the sale');
    await region.scrollIntoViewIfNeeded();
    await olivia.page.screenshot({ path: path.join(screenshots, 'action-editor.png') });
    // a real run of the Draft, marked test
    await olivia.page.getByRole('button', { name: 'Test run' }).click();
    await olivia.page.getByRole('link', { name: 'open the test run' }).click();
    await olivia.page
      .getByTestId('run-summary')
      .locator('[data-testid="run-status"][data-status="complete"]')
      .waitFor({ timeout: 45_000 });
    await olivia.page.goto(`${appUrl}/self-service-actions/actions/warm-cache/edit`);
    await olivia.page.getByRole('button', { name: 'Activate' }).click();
    await olivia.page.getByText('Saved as version 2 (Active).').waitFor();
    expect(olivia.consoleErrors).toEqual([]);

    // jane (team-a) runs it from the entity page; she may view it, not edit it
    const { page, consoleErrors } = await signedInPage();
    await page.getByRole('tab', { name: 'Self-service' }).click();
    await page.getByRole('button', { name: 'View Warm cache' }).waitFor();
    await page.getByRole('button', { name: 'Edit Purge CDN cache' }).waitFor();
    await page.getByRole('button', { name: 'Run Warm cache' }).click();
    await page.getByLabel('Reason').fill('Sale starts');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page
      .getByTestId('run-view')
      .locator(':scope > div [data-testid="run-status"][data-status="complete"]')
      .first()
      .waitFor({ timeout: 45_000 });
    expect(consoleErrors).toEqual([]);
  });

  it('shows every screen finished at 1280x800 and 1920x1080: no page wider than the window', async () => {
    const complete = await createRun('restart-service', { reason: 'Pods stuck after deploy' });
    const cancelled = await createRun('restart-service', { reason: 'Wrong service' });
    const cancel = await fetch(`${backendUrl}/api/self-service-actions/runs/${cancelled.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await guestToken()}` },
    });
    expect(cancel.status).toBe(200);
    const failed = await createRun('scale-database', {});
    await waitForFinal(complete.id);

    const { page, consoleErrors } = await signedInPage();
    const screens: Array<{ name: string; path: string; ready(): Promise<void> }> = [
      {
        name: 'entity-tab',
        path: '/catalog/default/component/payments/self-service',
        ready: () => page.getByRole('table', { name: 'Runs' }).getByRole('link').first().waitFor(),
      },
      {
        name: 'run-page-long-log',
        path: `/self-service-actions/runs/${complete.id}`,
        ready: async () => {
          await page.getByTestId('run-steps').getByText('Run action').click();
          await page.getByTestId('step-log').getByText('Rollout: 3 of 3 pods updated').waitFor();
          await page.getByRole('table', { name: 'Messages' }).getByText('Rolling out').waitFor();
        },
      },
      {
        name: 'run-page-cancelled',
        path: `/self-service-actions/runs/${cancelled.id}`,
        ready: () => page.getByTestId('run-message').getByText('Cancelled by').waitFor(),
      },
      {
        name: 'run-page-failed-webhook',
        path: `/self-service-actions/runs/${failed.id}`,
        ready: () => page.getByTestId('run-error').getByText('The automation refused the run (HTTP 500)', { exact: false }).waitFor(),
      },
      {
        name: 'self-service-page',
        path: '/self-service-actions',
        ready: () => page.getByRole('table', { name: 'Runs' }).getByRole('link').first().waitFor(),
      },
      {
        name: 'action-editor',
        path: '/self-service-actions/actions/purge-cdn/edit',
        ready: () => page.getByLabel('Paths').waitFor(),
      },
    ];
    for (const size of [
      { width: 1280, height: 800 },
      { width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(size);
      for (const screen of screens) {
        await page.goto(`${appUrl}${screen.path}`);
        await screen.ready();
        // the picture from the top (the page scrolls inside Backstage's layout), without the
        // ripple of the click that picked a step
        await page.mouse.move(0, 0);
        await page.addStyleTag({ content: '.MuiTouchRipple-root { display: none; }' });
        await page.evaluate(() => {
          for (const element of document.querySelectorAll('*')) if (element.scrollTop > 0) element.scrollTop = 0;
        });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect({ screen: screen.name, size, overflow }).toEqual({ screen: screen.name, size, overflow: 0 });
        await page.screenshot({ path: path.join(screenshots, `${screen.name}-${size.width}x${size.height}.png`) });
      }
    }
    // eslint-disable-next-line no-console
    console.log(`screens: ${screenshots}`);
    expect(consoleErrors).toEqual([]);
  });
});

