// Sign-in: an admin key (exchanged once for an HttpOnly session cookie; the page keeps no copy of it), or
// WeCom's QR login for a corp's staff (企业微信扫码登录, started by GET /console/wecom-login).
import { api, errorBox, field, h, notice, t } from './lib.js';

export function renderSignIn(root, { message, onSignedIn, onLang }) {
  const key = h('input', { type: 'password', name: 'key', id: 'signin-key', required: true, autocomplete: 'off',
    spellcheck: 'false' });
  const status = h('div', { class: 'signin-status' }, message ? notice('info', message) : null);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, t('signin_submit'));
  const form = h('form', {
    class: 'signin-form', id: 'signin-form', onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      status.replaceChildren();
      try {
        const session = await api('/console/session', { method: 'POST', body: { key: key.value } });
        key.value = ''; // the cookie now stands for the key: nothing of it stays in the page
        await onSignedIn(session);
      } catch (err) {
        key.value = '';
        status.replaceChildren(errorBox(err));
      } finally {
        submit.disabled = false;
      }
    },
  }, field(t('signin_key'), key, t('signin_key_hint')), submit);

  const corp = h('input', { type: 'text', name: 'account_id', id: 'wecom-account', placeholder: 'demo-wecom',
    autocomplete: 'off' });
  const wecom = h('form', {
    class: 'signin-wecom', id: 'wecom-form', onsubmit: (e) => {
      e.preventDefault();
      const id = corp.value.trim();
      if (!id) { corp.focus(); return; }
      window.location.assign(`/console/wecom-login?account_id=${encodeURIComponent(id)}`);
    },
  }, field(t('signin_wecom_account'), corp), h('button', { type: 'submit', class: 'secondary', id: 'wecom-login' },
    t('signin_wecom')));

  root.appendChild(h('div', { class: 'signin' },
    h('div', { class: 'signin-card' },
      h('div', { class: 'signin-head' }, h('h1', null, t('signin_title')),
        h('button', { type: 'button', class: 'link', id: 'lang-switch', onclick: onLang }, t('lang_switch'))),
      status, form, h('p', { class: 'or' }, t('signin_or')), wecom)));
  key.focus();
}
