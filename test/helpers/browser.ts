/** Debian's Chromium, headless, as every browser test launches it (never a downloaded browser). */
import { type Browser, chromium } from 'playwright-core';

/** Starts headless Chromium from /usr/bin/chromium with the flags this machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
