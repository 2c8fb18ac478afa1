// The root of the interface: shows the first-run welcome (platforms that choose their server),
// the sign-in screen or the chat screen, and rebuilds the current one in the new language when
// the language changes. It also owns what spans screens: the banner saying the built-in server
// could not start, and the one place where link clicks are handed to the platform (the desktop
// app opens web links in the person's browser).

import { h, icon } from '../dom.js';
import { mountAuth } from './auth.js';
import { mountChat } from './shell.js';
import { mountWelcome } from './welcome.js';
import { mountAdmin } from './admin.js';
import { mountPasswordChange } from './password.js';
import { confirmDialog } from './dialogs.js';
import { confirmFingerprint, certificateChanged } from './trust.js';
import { hostDialog, DESKTOP_CHANGED } from './server.js';
import { toast } from './toast.js';
import { onLanguageChange, t, errorText } from '../i18n.js';

export function createUi({ root, store }) {
  let actions = null;
  let screen = null;
  let current = null; // 'welcome' | 'auth' | 'chat' | 'admin' | 'password'
  let adminSection = null;
  let passwordOptions = {};
  let welcomeStartup = null;
  let hostProblem = null; // the error shown in the banner

  const problemText = h('span', { class: 'host-problem-text' });
  const problemFix = h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'host-problem-fix' }, t('server.changePort'));
  const problemBanner = h('div', { class: 'host-problem', role: 'alert', 'data-testid': 'host-problem', hidden: true }, icon('alert'), problemText, problemFix);
  problemFix.addEventListener('click', () => hostDialog({ actions, reason: hostProblem ? errorText(hostProblem) : null }));

  function mountBanner() {
    if (!problemBanner.isConnected) document.body.prepend(problemBanner);
  }

  function showWelcome({ startup = null } = {}) {
    screen?.destroy();
    current = 'welcome';
    welcomeStartup = startup;
    screen = mountWelcome(root, { actions, startup });
  }

  function showAuth(notice = null, mode) {
    screen?.destroy();
    current = 'auth';
    screen = mountAuth(root, { actions, notice, mode });
  }

  function showChat() {
    screen?.destroy();
    current = 'chat';
    screen = mountChat(root, { store, actions });
  }

  /** The Administration console at `section` (null: the list of sections, on a phone). */
  function showAdmin(section) {
    screen?.destroy();
    current = 'admin';
    adminSection = section;
    screen = mountAdmin(root, { store, actions, section });
  }

  /** "Choose a new password" after a temporary one (`knowsCurrent`: it was just typed). */
  function showPasswordChange(options = {}) {
    screen?.destroy();
    current = 'password';
    passwordOptions = options;
    screen = mountPasswordChange(root, { actions, ...options });
  }

  function showHostProblem(error) {
    hostProblem = error;
    mountBanner();
    problemText.textContent = t('server.hostProblem', { reason: errorText(error) });
    problemFix.textContent = t('server.changePort');
    problemBanner.hidden = false;
  }

  function clearHostProblem() {
    hostProblem = null;
    problemBanner.hidden = true;
  }

  onLanguageChange(() => {
    if (current === 'welcome') showWelcome({ startup: actions?.desktopState?.() ?? welcomeStartup });
    else if (current === 'auth') showAuth(null, screen?.mode?.());
    else if (current === 'chat') showChat();
    else if (current === 'admin') showAdmin(adminSection);
    else if (current === 'password') showPasswordChange(passwordOptions);
    if (hostProblem) showHostProblem(hostProblem);
  });

  // Links in messages: the platform may need to open them itself (the desktop app hands web
  // and mail links to the system). Downloads (blob: links with `download`) are left alone.
  const onLinkClick = (event) => {
    if (event.defaultPrevented || event.button > 1 || !actions) return;
    const link = event.target?.closest?.('a[href]');
    if (!link || link.hasAttribute('download')) return;
    if (!/^(https?|mailto):/i.test(link.href)) return;
    // A plain click on a link to a message here opens it in place (a modified click still gets
    // a new tab); in the desktop app too, where the link names the server's web client.
    const plain = event.type === 'click' && event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey;
    if (plain && actions.openOwnLink?.(link.href)) {
      event.preventDefault();
      return;
    }
    if (actions.openExternal(link.href)) event.preventDefault();
  };
  document.addEventListener('click', onLinkClick);
  document.addEventListener('auxclick', onLinkClick);

  return {
    bind(a) {
      actions = a;
    },
    showWelcome,
    showAuth,
    showChat,
    showAdmin,
    showPasswordChange,
    current: () => current,
    adminSection: () => (current === 'admin' ? adminSection : undefined),
    /** A setup link opened while signed in: asks whether to become the server's administrator. */
    confirmClaim: () => confirmDialog({ title: t('admin.claimTitle'), message: t('admin.claimMessage'), confirmLabel: t('admin.claimConfirm') }),
    /** First contact with an https server: compare the fingerprint with the host's screen. */
    confirmFingerprint,
    /** A pinned server presents another certificate: one blocking warning. */
    certificateChanged,
    showHostProblem,
    clearHostProblem,
    desktopChanged() {
      document.dispatchEvent(new CustomEvent(DESKTOP_CHANGED));
    },
    /** The desktop app was opened with a `confab://` link: said, and kept on <body> for tests. */
    linkReceived(link) {
      console.info('confab link', link);
      document.body.dataset.lastLink = link;
      toast(t('desktop.openedWithLink', { link }), { timeout: 10_000 });
    },
    toast,
  };
}
