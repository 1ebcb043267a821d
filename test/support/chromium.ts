import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (never a browser playwright downloads). */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * Headless Chromium as the browser tests run it: no sandbox (root in CI), and nothing fetched from outside;
 * `args` added to those, `ignoreDefaultArgs` of playwright's own left out.
 */
export function launchChromium(opts: { args?: string[]; ignoreDefaultArgs?: string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ...(opts.ignoreDefaultArgs ? { ignoreDefaultArgs: opts.ignoreDefaultArgs } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...(opts.args ?? []),
    ],
  });
}

const problems = new WeakMap<Page, string[]>();

/** A page opened at `url` that records every script error (a CSP violation included), for `problemsOf`. */
export async function openWatched(ctx: BrowserContext, url: string): Promise<Page> {
  const page = await ctx.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (e) => seen.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) seen.push(m.text());
  });
  await page.goto(url);
  return page;
}

/** The script errors a page opened by openWatched has had so far. */
export const problemsOf = (page: Page): string[] => problems.get(page) ?? [];
