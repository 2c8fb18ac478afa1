// What the desktop app tells the page on its own: `confab://` links it was handed (on its
// command line, or by a second launch that found this one running) and, once, that sign-ins
// cannot be kept because there is no password store. Invitations
// (`confab://join?host=…&port=…&fp=…`) will open the join flow; for now each link is shown and
// logged, and the latest is kept on <body> for tests.

import * as api from '../api.js';
import { language } from '../i18n.js';
import { toast } from './toast.js';

const WORDS = {
  en: (link) => `Confab was opened with a link: ${link}`,
  'zh-CN': (link) => `Confab 通过链接打开：${link}`,
};

function received(links) {
  for (const link of Array.isArray(links) ? links : []) {
    if (typeof link !== 'string' || !link.startsWith('confab:')) continue;
    console.info('confab link', link);
    document.body.dataset.lastLink = link;
    toast((WORDS[language()] ?? WORDS.en)(link), { timeout: 10_000 });
  }
}

/** Starts listening; links that came before the page was ready are fetched once. */
export function watchDesktopEvents() {
  if (!api.capabilities().quit) return;
  api.desktop
    .listen('confab-link', (payload) => received(payload?.links))
    .then(() => api.desktop.takeLinks())
    .then(received, () => {});
  // Said once per run, when a sign-in could only be kept until Confab quits.
  api.desktop.listen('credential-store-missing', (message) => {
    if (typeof message === 'string') toast(message, { kind: 'error', timeout: 15_000 });
  });
}
