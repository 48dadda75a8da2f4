// docs-screenshot.mjs — remakes docs/chat.png, the README's picture of the chat page:
//   node web/e2e/docs-screenshot.mjs [out.png]      (MW_BUILD_WEB=<dir> for another build)
// Serves the page with COOP/COEP, loads the bundled model, asks for a short story and
// photographs the page at 960×600. Not a test: it only writes the picture.
import path from 'node:path';
import { REPO, skipReason, startServer, launchBrowser, waitForModel } from './harness.mjs';

if (skipReason) { console.error(skipReason); process.exit(1); }
const out = path.resolve(process.argv[2] || path.join(REPO, 'docs/chat.png'));
const server = await startServer({ extraArgs: ['--build-web', path.resolve(REPO, process.env.MW_BUILD_WEB || 'build-web')] });
const browser = await launchBrowser({ viewport: { width: 960, height: 600 } });
try {
  const { page } = browser;
  await page.goto(server.chatUrl);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await waitForModel(page, 90000);
  await page.fill('#max_tokens', '90');
  await page.fill('#temperature', '0.7');
  for (const prompt of ['Once upon a time, there was a little dog']) {
    await page.fill('#prompt', prompt);
    await page.press('#prompt', 'Enter');
    await page.waitForFunction(() => document.body.dataset.generating === 'false' &&
      document.querySelectorAll('#log .msg').length % 2 === 0, null, { timeout: 60000 });
  }
  await page.fill('#prompt', 'What happened next?');
  await page.evaluate(() => { document.getElementById('panel').scrollTop = 0; document.activeElement.blur(); });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
