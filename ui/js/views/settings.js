// Dialogs reached from the shell: creating a room, and settings (the server — on platforms
// that choose theirs —, profile, password, language, theme, notifications, sign out / quit).
// Errors are shown beside the field the server names. Sections appear by the platform's
// capabilities, never by its name.

import { h, icon, avatar } from '../dom.js';
import { t, errorText, LANGUAGES } from '../i18n.js';
import { loadPrefs } from '../prefs.js';
import { NOTIFY_LEVELS } from '../notifications.js';
import { openDialog, field } from './dialogs.js';
import { toast } from './toast.js';
import { connectForm, hostForm, hostAddresses, DESKTOP_CHANGED } from './server.js';
import { desktopSection } from './desktop-settings.js';

function fieldFor(fields, error) {
  return fields[error?.field] ?? null;
}

/** The "Create a room" dialog; resolves with the new room (or undefined). */
export function createRoomDialog({ actions }) {
  return openDialog({
    title: t('createRoom.title'),
    build: (close) => {
      const name = field({ label: t('createRoom.name'), name: 'name', maxlength: 64 });
      const description = field({ label: t('createRoom.description'), name: 'description', multiline: true, maxlength: 500 });
      const privateBox = h('input', { type: 'checkbox', id: 'room-private', name: 'private' });
      const formError = h('p', { class: 'form-error', role: 'alert' });
      const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('createRoom.submit'));
      const form = h(
        'form',
        { class: 'stack', novalidate: true },
        name.el,
        description.el,
        h('label', { class: 'check', for: 'room-private' }, privateBox, h('span', { text: t('createRoom.private') })),
        formError,
        h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close() }, t('dialog.cancel')), submit),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        formError.textContent = '';
        const value = name.input.value.trim();
        if (!value) {
          name.setError(t('err.required'));
          name.input.focus();
          return;
        }
        submit.disabled = true;
        try {
          const room = await actions.createRoom({ name: value, description: description.input.value.trim(), isPrivate: privateBox.checked });
          close(room);
        } catch (error) {
          submit.disabled = false;
          const target = fieldFor({ name, description }, error) ?? (error.code === 'room_name_taken' ? name : null);
          if (target) {
            target.setError(errorText(error));
            target.input.focus();
          } else {
            formError.textContent = errorText(error);
          }
        }
      });
      return form;
    },
  });
}

/** The settings dialog. */
export function settingsDialog({ store, actions }) {
  return openDialog({
    title: t('settings.title'),
    className: 'dialog-wide',
    build: (close) => {
      const me = store.state.me ?? {};
      const prefs = loadPrefs();

      // Profile
      const preview = h('div', { class: 'profile-preview' }, avatar(me, 'lg'), h('strong', { text: me.username ?? '' }));
      const email = field({ label: t('settings.email'), name: 'email', type: 'email', autocomplete: 'email', value: me.email ?? '' });
      // The avatar is a picture uploaded to the server, never a link (see js/avatars.js).
      const showUser = (user) => {
        preview.replaceChildren(avatar(user, 'lg'), h('strong', { text: user.username ?? '' }));
        avatarRemove.hidden = !user.avatar_url;
      };
      const avatarAction = async (run, button) => {
        button.disabled = true;
        try {
          const user = await run();
          if (user) {
            showUser(user);
            toast(t('settings.saved'));
          }
        } catch (error) {
          toast(errorText(error), { kind: 'error' });
        } finally {
          button.disabled = false;
        }
      };
      const avatarUpload = h('button', { type: 'button', class: 'btn' }, t('settings.avatarUpload'));
      const avatarRemove = h('button', { type: 'button', class: 'btn', hidden: !me.avatar_url }, t('settings.avatarRemove'));
      avatarUpload.addEventListener('click', () => avatarAction(() => actions.pickAvatar(), avatarUpload));
      avatarRemove.addEventListener('click', () => avatarAction(() => actions.removeAvatar(), avatarRemove));
      const avatarRow = h(
        'div',
        { class: 'stack' },
        h('span', { class: 'field-label', text: t('settings.avatar') }),
        h('div', { class: 'dialog-actions' }, avatarUpload, avatarRemove),
        h('p', { class: 'muted', text: t('settings.avatarHint') }),
      );
      const profileSave = h('button', { type: 'submit', class: 'btn btn-primary' }, t('settings.saveProfile'));
      const profileForm = h('form', { class: 'stack', novalidate: true }, preview, avatarRow, email.el, h('div', { class: 'dialog-actions' }, profileSave));
      profileForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        profileSave.disabled = true;
        try {
          const user = await actions.updateProfile({ email: email.input.value.trim() || null });
          showUser(user);
          toast(t('settings.saved'));
        } catch (error) {
          const target = fieldFor({ email }, error);
          if (target) target.setError(errorText(error));
          else toast(errorText(error), { kind: 'error' });
        } finally {
          profileSave.disabled = false;
        }
      });

      // Password
      const current = field({ label: t('settings.currentPassword'), name: 'current_password', type: 'password', autocomplete: 'current-password' });
      const next = field({ label: t('settings.newPassword'), name: 'new_password', type: 'password', autocomplete: 'new-password', hint: t('auth.hint.password') });
      const confirm = field({ label: t('settings.confirmPassword'), name: 'confirm_password', type: 'password', autocomplete: 'new-password' });
      const passwordSave = h('button', { type: 'submit', class: 'btn btn-primary' }, t('settings.changePassword'));
      const passwordForm = h('form', { class: 'stack', novalidate: true }, current.el, next.el, confirm.el, h('div', { class: 'dialog-actions' }, passwordSave));
      passwordForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!current.input.value) return current.setError(t('err.required'));
        if (next.input.value.length < 8) return next.setError(t('err.passwordLength'));
        if (next.input.value !== confirm.input.value) return confirm.setError(t('err.passwordMismatch'));
        passwordSave.disabled = true;
        try {
          await actions.changePassword(current.input.value, next.input.value);
          for (const f of [current, next, confirm]) f.input.value = '';
          toast(t('settings.passwordChanged'));
        } catch (error) {
          if (error.code === 'wrong_password' || error.code === 'too_many_attempts') current.setError(errorText(error));
          else if (error.field === 'new_password' || error.code === 'invalid_password') next.setError(errorText(error));
          else toast(errorText(error), { kind: 'error' });
        } finally {
          passwordSave.disabled = false;
        }
      });

      // Language & appearance
      const language = h(
        'select',
        { id: 'settings-language', name: 'language' },
        h('option', { value: 'auto', selected: prefs.language === 'auto' }, t('settings.languageAuto')),
        LANGUAGES.map((l) => h('option', { value: l.code, selected: prefs.language === l.code }, l.name)),
      );
      language.addEventListener('change', () => {
        close();
        actions.setLanguage(language.value);
      });
      const theme = h(
        'select',
        { id: 'settings-theme', name: 'theme' },
        ['system', 'light', 'dark'].map((v) => h('option', { value: v, selected: prefs.theme === v }, t(`settings.theme${v[0].toUpperCase()}${v.slice(1)}`))),
      );
      theme.addEventListener('change', () => actions.setTheme(theme.value));

      // Notifications
      const caps = actions.capabilities();
      const levelName = 'notify-level';
      const currentLevel = actions.notifyLevel();
      const levels = h(
        'fieldset',
        { class: 'radio-group', 'data-testid': 'notify-level' },
        h('legend', { class: 'field-label', text: t('settings.notifyLevel') }),
        NOTIFY_LEVELS.map((level) => {
          const id = `notify-level-${level}`;
          const radio = h('input', { type: 'radio', name: levelName, id, value: level, 'data-testid': id, checked: level === currentLevel });
          radio.addEventListener('change', () => {
            if (radio.checked) actions.setNotifyLevel(level);
          });
          return h('label', { class: 'check radio', for: id }, radio, h('span', { text: t(`settings.notify.${level}`) }));
        }),
        h('p', { class: 'field-hint', text: t('settings.notifyMuteHint') }),
      );
      let permissionControls = null;
      if (!caps.nativeNotifications) {
        const permission = actions.notificationPermission();
        const notifyBox = h('input', { type: 'checkbox', id: 'settings-notify', checked: prefs.notifications && permission === 'granted', disabled: permission === 'unsupported' || permission === 'denied' });
        const notifyNote = h('p', { class: 'field-hint', text: permission === 'denied' ? t('settings.notifyBlocked') : permission === 'unsupported' ? t('settings.notifyUnsupported') : '' });
        notifyBox.addEventListener('change', async () => {
          const result = await actions.setNotifications(notifyBox.checked);
          notifyBox.checked = result === 'granted';
          if (result === 'denied') {
            notifyBox.disabled = true;
            notifyNote.textContent = t('settings.notifyBlocked');
          }
        });
        permissionControls = [h('label', { class: 'check', for: 'settings-notify' }, notifyBox, h('span', { text: t('settings.notifyToggle') })), notifyNote];
      }

      const logout = h('button', { type: 'button', class: 'btn btn-ghost btn-danger-text', 'data-testid': 'settings-logout', onclick: () => { close(); actions.logout(); } }, t('settings.logout'));
      const quit = caps.quit
        ? h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'settings-quit', onclick: () => actions.quit().catch((error) => toast(errorText(error), { kind: 'error' })) }, t('settings.quit'))
        : null;

      return h(
        'div',
        { class: 'settings' },
        caps.serverChoice ? serverSection({ actions, close }) : null,
        caps.quit ? desktopSection({ desktop: actions.desktopState(), actions }) : null,
        h('section', { class: 'settings-section' }, h('h3', { text: t('settings.profile') }), profileForm),
        h('section', { class: 'settings-section' }, h('h3', { text: t('settings.password') }), passwordForm),
        h(
          'section',
          { class: 'settings-section' },
          h('h3', { text: t('settings.appearance') }),
          h('div', { class: 'field' }, h('label', { for: 'settings-language', text: t('settings.language') }), language),
          h('div', { class: 'field' }, h('label', { for: 'settings-theme', text: t('settings.theme') }), theme),
        ),
        h('section', { class: 'settings-section', 'data-testid': 'settings-notifications' }, h('h3', { text: t('settings.notifications') }), permissionControls, levels),
        h('section', { class: 'settings-section' }, h('h3', { text: t('settings.account') }), h('div', { class: 'settings-buttons' }, logout, quit)),
      );
    },
  });
}

/**
 * The Server section (platforms that choose their server): which server this is, switching to
 * another one or to hosting here, and the built-in server's port, LAN exposure, status and
 * addresses with Stop / Start.
 */
function serverSection({ actions, close }) {
  const section = h('section', { class: 'settings-section', 'data-testid': 'settings-server' }, h('h3', { text: t('settings.server') }));
  const content = h('div', { class: 'stack' });
  section.append(content);
  let showing = null; // 'connect' | 'host' | null: which switching form is open

  function render() {
    const desktop = actions.desktopState() ?? {};
    const settings = desktop.settings ?? {};
    const host = desktop.host ?? {};
    const mode = settings.mode;
    content.replaceChildren();
    const summary = h('p', { class: 'server-summary', 'data-testid': 'settings-server-summary' });
    if (mode === 'host') {
      summary.append(icon('server'), h('span', { text: t('settings.serverHost', { port: host.port ?? settings.host?.port ?? '' }) }));
    } else {
      summary.append(icon('globe'), h('span', { text: t('settings.serverRemote', { url: settings.server_url ?? desktop.server_url ?? '' }) }));
    }
    content.append(summary);

    if (mode === 'host') {
      const running = Boolean(host.running);
      const status = h(
        'p',
        { class: `host-status ${running ? 'running' : 'stopped'}`, 'data-testid': 'settings-host-status', role: 'status' },
        h('span', { class: 'host-dot', 'aria-hidden': 'true' }),
        h('span', { text: running ? t('server.running', { port: host.port }) : t('server.stopped') }),
      );
      const toggle = h(
        'button',
        { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': running ? 'settings-host-stop' : 'settings-host-resume' },
        running ? t('server.stop') : t('server.start'),
      );
      toggle.addEventListener('click', async () => {
        toggle.disabled = true;
        try {
          if (running) await actions.hostStop();
          else await actions.hostStart();
        } catch (error) {
          toast(errorText(error), { kind: 'error' });
        }
        render();
      });
      content.append(
        h('div', { class: 'host-status-row' }, status, toggle),
        hostAddresses(host, { testid: 'settings-host-addresses' }),
        hostForm({ actions, host: settings.host, prefix: 'settings-', submitLabel: t('server.apply'), onStarted: () => render() }).el,
      );
      content.append(switcher('connect', t('settings.useRemote'), () =>
        connectForm({ actions, recent: settings.recent_servers ?? [], prefix: 'settings-', onConnected: () => close() }).el,
      ));
    } else {
      content.append(switcher('connect', t('settings.switchServer'), () =>
        connectForm({ actions, recent: settings.recent_servers ?? [], current: null, prefix: 'settings-', onConnected: () => close() }).el,
      ));
      content.append(switcher('host', t('settings.useHost'), () =>
        hostForm({ actions, host: settings.host, prefix: 'settings-', onStarted: () => close() }).el,
      ));
    }
    content.append(trustedServers());
  }

  /** The certificates this app trusts, one per server, each with its fingerprint; filled in when the app answers. */
  function trustedServers() {
    const list = h('div', { class: 'trusted-servers', 'data-testid': 'settings-trusted' }, h('h3', { text: t('trust.settingsTitle') }));
    actions.pinnedServers?.().then(
      (pins) => {
        if (!pins?.length) {
          list.append(h('p', { class: 'field-hint', text: t('trust.settingsEmpty') }));
          return;
        }
        for (const pin of pins) {
          const forget = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'settings-trusted-forget' }, t('trust.forget'));
          forget.addEventListener('click', async () => {
            forget.disabled = true;
            try {
              await actions.forgetServer(pin.id);
              render();
            } catch (error) {
              toast(errorText(error), { kind: 'error' });
              forget.disabled = false;
            }
          });
          list.append(
            h(
              'div',
              { class: 'trusted-server' },
              h('p', {}, h('strong', { text: pin.name || pin.addresses?.[0] || pin.id }), h('span', { class: 'muted', text: ` ${(pin.addresses ?? []).join(', ')}` })),
              h('pre', { class: 'fingerprint', text: pin.readable }),
              forget,
            ),
          );
        }
      },
      () => {},
    );
    return list;
  }

  /** A button that reveals one switching form (only one open at a time). */
  function switcher(name, label, build) {
    const wrap = h('div', { class: 'server-switch' });
    const button = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-expanded': String(showing === name), 'data-testid': `settings-show-${name}` }, label);
    wrap.append(button);
    if (showing === name) wrap.append(build());
    button.addEventListener('click', () => {
      showing = showing === name ? null : name;
      render();
      section.querySelector(`[data-testid="settings-show-${name}"]`)?.focus();
    });
    return wrap;
  }

  const onChange = () => {
    if (!section.isConnected) {
      document.removeEventListener(DESKTOP_CHANGED, onChange);
      return;
    }
    if (!section.contains(document.activeElement) || document.activeElement === document.body) render();
  };
  document.addEventListener(DESKTOP_CHANGED, onChange);
  render();
  // Status may have changed since the app last said (started at launch, stopped elsewhere).
  actions.refreshHost?.().then(() => section.isConnected && !section.contains(document.activeElement) && render(), () => {});
  return section;
}
