// The Administration console's other pages: Invites (create, copy, revoke), Settings (server
// name, registration, retention, upload limit), the Audit log (paged) and Stats (numbers and a
// messages-per-day chart drawn as inline SVG from admin-state.js's `chartBars`).

import { h, icon, reconcile } from '../dom.js';
import { t, errorText, language } from '../i18n.js';
import { formatBytes } from '../format.js';
import { chartBars } from '../admin-state.js';
import { confirmDialog, field } from './dialogs.js';
import { toast } from './toast.js';
import { copyText } from './server.js';
import { when, busy, pill } from './admin.js';

const fail = (error) => toast(errorText(error), { kind: 'error' });

async function copy(text) {
  toast((await copyText(text)) ? t('admin.copied') : t('admin.copyFailed'));
}

// --- Invites ---

const EXPIRY_HOURS = [0, 24, 168, 720];

export function invitesPage({ actions }) {
  const maxUses = field({ label: t('admin.invites.maxUses'), name: 'max-uses', type: 'number', hint: t('admin.invites.maxUsesHint') });
  maxUses.input.min = '1';
  maxUses.input.max = '10000';
  const expiryId = 'invite-expiry';
  const expiry = h(
    'select',
    { id: expiryId, name: 'expiry' },
    EXPIRY_HOURS.map((hours) => h('option', { value: String(hours), text: hours ? t('admin.invites.expiresIn', { days: hours / 24 }) : t('admin.invites.never') })),
  );
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('admin.invites.create'));
  const created = h('div', { class: 'invite-created', hidden: true, 'data-testid': 'invite-created' });
  const form = h(
    'form',
    { class: 'admin-form admin-form-row', novalidate: true },
    maxUses.el,
    h('div', { class: 'field' }, h('label', { for: expiryId, text: t('admin.invites.expiry') }), expiry),
    h('div', { class: 'field field-submit' }, submit),
  );
  const list = h('ul', { class: 'admin-list', 'aria-label': t('admin.invites.list'), 'data-testid': 'admin-invites' });
  const empty = h('p', { class: 'muted', text: t('admin.invites.none'), hidden: true });
  const el = h('div', { class: 'admin-section' }, h('p', { class: 'muted', text: t('admin.invites.intro') }), form, created, h('h2', { class: 'section-title', text: t('admin.invites.list') }), list, empty);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const uses = maxUses.input.value.trim();
    if (uses && !(Number(uses) >= 1 && Number(uses) <= 10000 && Number.isInteger(Number(uses)))) {
      maxUses.setError(t('admin.invites.maxUsesHint'));
      maxUses.input.focus();
      return;
    }
    const answer = await busy(submit, () => actions.createInvite({ maxUses: uses ? Number(uses) : null, expiresInHours: Number(expiry.value) || null }));
    if (!answer) return;
    const url = h('input', { type: 'text', readonly: true, class: 'mono', id: 'invite-url', value: answer.url, 'data-testid': 'invite-url' });
    created.replaceChildren(
      h('label', { for: 'invite-url', text: t('admin.invites.created') }),
      h('div', { class: 'copy-row' }, url, h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => copy(answer.url) }, icon('copy'), t('admin.copy'))),
    );
    created.hidden = false;
    maxUses.input.value = '';
  });

  const render = ({ invite }) => {
    const uses = invite.max_uses ? t('admin.invites.usesOf', { n: invite.uses, max: invite.max_uses }) : t('admin.invites.uses', { n: invite.uses });
    const expired = invite.expires_at && Date.parse(invite.expires_at) < Date.now();
    const usedUp = invite.max_uses != null && invite.uses >= invite.max_uses;
    const link = actions.inviteUrl(invite.code);
    return h(
      'li',
      { class: 'admin-row', 'data-code': invite.code },
      h('span', { class: 'room-icon' }, icon('link')),
      h(
        'div',
        { class: 'admin-row-main' },
        h('p', { class: 'admin-row-title' }, h('code', { class: 'mono', text: `${invite.code.slice(0, 8)}…` }), expired ? pill(t('admin.invites.expired'), 'pill-archived') : usedUp ? pill(t('admin.invites.usedUp'), 'pill-archived') : pill(t('admin.invites.valid'), 'pill-ok')),
        h('p', { class: 'admin-row-meta muted', text: [uses, invite.expires_at ? t('admin.invites.expiresAt', { when: when(invite.expires_at) }) : t('admin.invites.noExpiry'), t('admin.rooms.createdBy', { user: invite.created_by_name ?? '?' })].join(' · ') }),
      ),
      h(
        'div',
        { class: 'admin-row-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => copy(link) }, icon('copy'), t('admin.invites.copyLink')),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small btn-danger-text', onclick: (e) => revoke(e.currentTarget, invite) }, t('admin.invites.revoke')),
      ),
    );
  };

  async function revoke(button, invite) {
    if (!(await confirmDialog({ title: t('admin.invites.revoke'), message: t('admin.invites.confirmRevoke'), confirmLabel: t('admin.invites.revoke'), danger: true }))) return;
    await busy(button, () => actions.revokeInvite(invite.code));
  }

  let last = null;
  return {
    el,
    load: () => actions.loadInvites().catch(fail),
    update(state) {
      const invites = state.admin.invites;
      if (invites === last) return;
      last = invites;
      reconcile(list, invites.items.map((invite) => ({ key: invite.code, sig: `${invite.uses}|${invite.max_uses}|${invite.expires_at}`, invite })), render);
      empty.hidden = !invites.loaded || invites.items.length > 0;
    },
  };
}

// --- Settings ---

const POLICIES = ['open', 'invite', 'closed'];

export function settingsPage({ actions }) {
  const name = field({ label: t('admin.settings.serverName'), name: 'server_name', maxlength: 64, hint: t('admin.settings.serverNameHint') });
  const retention = field({ label: t('admin.settings.retention'), name: 'retention_days', type: 'number', hint: t('admin.settings.retentionHint') });
  const upload = field({ label: t('admin.settings.upload'), name: 'max_upload_mb', type: 'number', hint: t('admin.settings.uploadHint') });
  const policyError = h('p', { class: 'field-error', id: 'policy-error', 'aria-live': 'polite' });
  const radios = POLICIES.map((policy) => h('input', { type: 'radio', name: 'registration', id: `policy-${policy}`, value: policy }));
  const policies = h(
    'fieldset',
    { class: 'field admin-policies', 'aria-describedby': 'policy-error' },
    h('legend', { text: t('admin.settings.registration') }),
    POLICIES.map((policy, i) =>
      h('label', { class: 'check policy', for: `policy-${policy}` }, radios[i], h('span', {}, h('strong', { text: t(`admin.policy.${policy}`) }), h('span', { class: 'muted', text: ` — ${t(`admin.policy.${policy}Hint`)}` }))),
    ),
    policyError,
  );
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('admin.settings.save'));
  const form = h('form', { class: 'admin-form stack', novalidate: true }, name.el, policies, retention.el, upload.el, formError, h('div', { class: 'dialog-actions' }, submit));
  const fields = { server_name: name, retention_days: retention, max_upload_mb: upload };
  // What someone is typing is never overwritten by settings that arrive meanwhile.
  let dirty = false;
  form.addEventListener('input', () => {
    dirty = true;
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    policyError.textContent = '';
    const changes = {
      server_name: name.input.value.trim(),
      registration: radios.find((r) => r.checked)?.value,
      retention_days: Number(retention.input.value),
      max_upload_mb: Number(upload.input.value),
    };
    submit.disabled = true;
    try {
      await actions.saveSettings(changes);
      dirty = false;
      toast(t('admin.settings.saved'));
    } catch (error) {
      const target = fields[error.field];
      if (target) {
        target.setError(errorText(error));
        target.input.focus();
      } else if (error.field === 'registration') policyError.textContent = errorText(error);
      else formError.textContent = errorText(error);
    } finally {
      submit.disabled = false;
    }
  });

  let last;
  return {
    el: h('div', { class: 'admin-section' }, form),
    load: () => actions.loadSettings().catch(fail),
    update(state) {
      const settings = state.admin.settings;
      if (settings === last || !settings || dirty) return;
      last = settings;
      name.input.value = settings.server_name ?? '';
      retention.input.value = String(settings.retention_days ?? 0);
      upload.input.value = String(settings.max_upload_mb ?? '');
      for (const r of radios) r.checked = r.value === settings.registration;
    },
  };
}

// --- Audit log ---

export function auditPage({ actions }) {
  const list = h('ul', { class: 'admin-list audit-list', 'aria-label': t('admin.section.audit'), 'data-testid': 'admin-audit' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost', hidden: true }, t('admin.audit.older'));
  const empty = h('p', { class: 'muted', text: t('admin.audit.none'), hidden: true });
  more.addEventListener('click', () => busy(more, () => actions.loadAudit({ more: true })));
  const render = ({ entry }) => {
    const action = t(`admin.action.${entry.action}`);
    return h(
      'li',
      { class: 'admin-row audit-row', 'data-action': entry.action },
      h(
        'div',
        { class: 'admin-row-main' },
        h('p', { class: 'admin-row-title' }, h('bdi', { text: entry.actor_name ?? '?' }), ' ', h('span', { text: action === `admin.action.${entry.action}` ? entry.action : action }), entry.target ? h('bdi', { class: 'audit-target', text: entry.target }) : null),
        h('p', { class: 'admin-row-meta muted', text: [when(entry.created_at), entry.address].filter(Boolean).join(' · ') }),
      ),
    );
  };
  let last = null;
  return {
    el: h('div', { class: 'admin-section' }, list, empty, more),
    load: () => actions.loadAudit().catch(fail),
    update(state) {
      const audit = state.admin.audit;
      if (audit === last) return;
      last = audit;
      reconcile(list, audit.items.map((entry) => ({ key: String(entry.id), sig: '1', entry })), render);
      more.hidden = !audit.loaded || !audit.hasMore;
      empty.hidden = !audit.loaded || audit.items.length > 0;
    },
  };
}

// --- Stats ---

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) if (child) el.append(child);
  return el;
}

/** The messages-per-day chart: bars scaled to a round top line, each with its date and count. */
export function messagesChart(days) {
  const width = 300;
  const height = 100;
  const { max, bars } = chartBars(days, { width, height });
  const total = bars.reduce((sum, b) => sum + b.messages, 0);
  const label = t('admin.stats.chartLabel', { n: total, days: bars.length });
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'stats-chart', role: 'img', 'aria-label': label },
    svg('line', { x1: 0, y1: 0.5, x2: width, y2: 0.5, class: 'chart-top' }),
    svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'chart-base' }),
    ...bars.map((b) => {
      const rect = svg('rect', { x: b.x.toFixed(2), y: b.y.toFixed(2), width: b.width.toFixed(2), height: b.height.toFixed(2), class: 'chart-bar', 'data-date': b.date, 'data-messages': b.messages });
      const title = svg('title');
      title.textContent = t('admin.stats.barTitle', { date: b.date, n: b.messages });
      rect.append(title);
      return rect;
    }),
  );
  return h(
    'figure',
    { class: 'stats-figure' },
    h('div', { class: 'stats-chart-box' }, h('span', { class: 'chart-max muted', 'aria-hidden': 'true', text: String(max) }), chart),
    h('figcaption', { class: 'muted', text: `${label} · ${bars[0]?.date ?? ''} – ${bars[bars.length - 1]?.date ?? ''}` }),
  );
}

export function statsPage({ actions }) {
  const body = h('div', { class: 'admin-section', 'data-testid': 'admin-stats' }, h('p', { class: 'muted', text: t('members.loading') }));
  const number = (n) => new Intl.NumberFormat(language()).format(n ?? 0);
  let last = null;
  return {
    el: body,
    load: () => actions.loadStats().catch(fail),
    update(state) {
      const stats = state.admin.stats;
      if (!stats || stats === last) return;
      last = stats;
      const bytes = (n) => (n == null ? '—' : formatBytes(n, language()));
      const cards = [
        ['people', number(stats.people)],
        ['active', number(stats.active_7_days)],
        ['deactivated', number(stats.deactivated)],
        ['rooms', number(stats.rooms)],
        ['messages', number(stats.messages)],
        ['database', bytes(stats.database_bytes)],
        ['uploads', bytes(stats.uploads_bytes)],
        ['freeDisk', bytes(stats.free_disk_bytes)],
      ];
      body.replaceChildren(
        h('dl', { class: 'stats-grid' }, cards.map(([key, value]) => h('div', { class: 'stat', 'data-stat': key }, h('dt', { text: t(`admin.stats.${key}`) }), h('dd', { text: value })))),
        h('h2', { class: 'section-title', text: t('admin.stats.perDay') }),
        messagesChart(stats.messages_per_day ?? []),
      );
    },
  };
}
