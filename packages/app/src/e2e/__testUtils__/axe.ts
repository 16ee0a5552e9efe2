import fs from 'node:fs';
import { Page } from 'playwright-core';

// axe-core from the registry, injected into the page as its own script (as browser extensions do).
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/**
 * The serious and critical accessibility violations axe-core finds on the page once its
 * transitions have ended (a dialog fading in would be measured half transparent). Backstage's
 * own sidebar is left out: it is the app's, not the plugin's, and axe judges its items by
 * whether the pointer happens to have expanded it.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== 'running'));
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const violations: AxeViolation[] = await page.evaluate(async () => {
    const context = { exclude: [['nav[aria-label="sidebar nav"]']] };
    const result = await (window as any).axe.run(context, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map(n => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('; ')}`);
}
