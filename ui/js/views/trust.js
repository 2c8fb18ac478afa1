// Trusting a server's certificate in the desktop app: the first-contact question (compare the
// fingerprint with the host's screen) and the one calm warning when a pinned server presents
// another certificate ("Disconnect" is the default; trusting the new one takes a deliberate
// second choice).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { openDialog } from './dialogs.js';

/** The fingerprint as groups a person can read aloud, one line per eight groups. */
function fingerprintBlock(readable, testid) {
  return h('pre', { class: 'fingerprint', 'data-testid': testid, text: readable || '' });
}

/** First contact: resolves true when the person says the fingerprints match. */
export function confirmFingerprint(probe) {
  return openDialog({
    title: t('trust.newTitle'),
    className: 'dialog-confirm dialog-trust',
    build: (close) =>
      h(
        'div',
        { class: 'confirm', 'data-testid': 'trust-new' },
        h('p', { text: t('trust.newMessage', { name: probe.name || probe.url, url: probe.url }) }),
        fingerprintBlock(probe.readable, 'trust-fingerprint'),
        h('p', { class: 'muted', text: t('trust.newHint') }),
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'btn btn-ghost', 'data-autofocus': true, onclick: () => close(false) }, t('dialog.cancel')),
          h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'trust-accept', onclick: () => close(true) }, t('trust.accept')),
        ),
      ),
    initialFocus: (dialog) => dialog.querySelector('[data-autofocus]'),
  }).then((value) => value === true);
}

/**
 * A pinned server presents another certificate: resolves `'trust'` only when the person chose
 * to trust the new one after checking with the host; anything else (Disconnect, Escape) is
 * `'disconnect'`. An impostor (another machine claiming the server's identity) gets no choice.
 */
export function certificateChanged(probe) {
  const impostor = probe.verdict === 'impostor';
  return openDialog({
    title: t('trust.changedTitle'),
    className: 'dialog-confirm dialog-trust',
    build: (close) =>
      h(
        'div',
        { class: 'confirm', 'data-testid': 'trust-changed' },
        h('p', { text: t(impostor ? 'trust.impostorMessage' : 'trust.changedMessage', { name: probe.name || probe.url }) }),
        h('p', { class: 'muted', text: t('trust.pinnedLabel') }),
        fingerprintBlock(probe.pinned_readable, 'trust-old-fingerprint'),
        h('p', { class: 'muted', text: t('trust.presentedLabel') }),
        fingerprintBlock(probe.readable, 'trust-new-fingerprint'),
        impostor ? null : h('p', { class: 'muted', text: t('trust.changedHint') }),
        h(
          'div',
          { class: 'dialog-actions' },
          impostor ? null : h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'trust-replace', onclick: () => close('trust') }, t('trust.replace')),
          h('button', { type: 'button', class: 'btn btn-primary', 'data-autofocus': true, 'data-testid': 'trust-disconnect', onclick: () => close('disconnect') }, t('trust.disconnect')),
        ),
      ),
    initialFocus: (dialog) => dialog.querySelector('[data-autofocus]'),
  }).then((value) => (value === 'trust' && !impostor ? 'trust' : 'disconnect'));
}
