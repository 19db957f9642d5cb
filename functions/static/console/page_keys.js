// API keys (管理密钥): the account's keys, creating one (its secret shown once, with a copy button and a warning)
// and revoking one. Admin only, as the API is.
import { addMessages } from './i18n.js';
import { confirmStep } from './confirm.js';
import { api, copyText, errorBox, field, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  key_id: { zh: '密钥 ID', en: 'Key id' },
  key_name: { zh: '名称', en: 'Name' },
  key_role: { zh: '角色', en: 'Role' },
  key_status: { zh: '状态', en: 'Status' },
  key_status_active: { zh: '有效', en: 'Active' },
  key_status_revoked: { zh: '已吊销', en: 'Revoked' },
  key_status_expired: { zh: '已过期', en: 'Expired' },
  key_created: { zh: '创建时间', en: 'Created' },
  key_expires: { zh: '过期时间', en: 'Expires' },
  key_expires_days: { zh: '有效天数（留空为不过期）', en: 'Valid for days (empty: no expiry)' },
  key_new: { zh: '新建密钥', en: 'New key' },
  key_revoke: { zh: '吊销', en: 'Revoke' },
  key_revoke_confirm: { zh: '吊销后该密钥立即失效，确定吗？', en: 'The key stops working at once. Revoke it?' },
  key_revoked_ok: { zh: '已吊销：', en: 'Revoked: ' },
  key_shown_once: { zh: '新密钥只显示这一次：请立即复制并妥善保存，关闭后将无法再次查看。',
    en: 'This is the only time the new key is shown: copy it now and keep it safe; it cannot be shown again.' },
  key_withheld: { zh: '这是一次重复提交，密钥不会再次显示。如已丢失，请吊销后重新创建。',
    en: 'This was a repeated request: the key is not shown again. If it was lost, revoke it and create another.' },
  key_actions: { zh: '操作', en: 'Actions' },
});

function idempotencyKey() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The new key, once: a read-only box, a copy button and the warning; gone when closed or on the next page.
function shownOnce(created, onClose) {
  if (!created.key) return notice('info', t('key_withheld'));
  const secret = h('code', { class: 'secret', id: 'new-key-secret' }, created.key);
  const copy = h('button', { type: 'button', class: 'secondary', id: 'new-key-copy' }, t('copy'));
  copy.addEventListener('click', () => copyText(created.key, copy));
  const box = h('div', { class: 'card shown-once', id: 'new-key', role: 'alert' },
    h('p', { class: 'notice error' }, t('key_shown_once')),
    h('div', { class: 'setup-row' }, h('span', null, created.key_id), secret, copy),
    h('button', { type: 'button', class: 'secondary', id: 'new-key-close', onclick: () => { box.remove(); onClose(); } },
      t('close')));
  return box;
}

function createForm(accountId, onCreated) {
  const role = h('select', { id: 'key-role', name: 'role' },
    ['read-only', 'operator', 'admin'].map((r) => h('option', { value: r }, t('role_' + r.replace('-', '_')))));
  const name = h('input', { id: 'key-name', name: 'name', maxLength: 100 });
  const days = h('input', { id: 'key-days', name: 'expires_in_days', type: 'number', min: 1, max: 3650 });
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'key-create' }, t('create'));
  let key = idempotencyKey();
  const form = h('form', { class: 'card', id: 'key-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { role: role.value, name: name.value };
    if (days.value) body.expires_in_days = Number(days.value);
    submit.disabled = true;
    try {
      const created = await api(`/accounts/${encodeURIComponent(accountId)}/keys`,
        { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      key = idempotencyKey();
      form.reset();
      status.replaceChildren(shownOnce(created, () => status.replaceChildren()));
      onCreated(created);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', null, t('key_new')),
  h('div', { class: 'form-grid' }, field(t('key_role'), role), field(t('key_name'), name),
    field(t('key_expires_days'), days)), submit, status);
  return form;
}

export default {
  id: 'keys',
  title: { zh: '管理密钥', en: 'API keys' },
  role: 'admin',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${encodeURIComponent(ctx.account_id)}/keys`;
    const said = h('div');
    async function revoke(k, button) {
      button.disabled = true;
      try {
        await api(`${base}/${encodeURIComponent(k.key_id)}`, { method: 'DELETE' });
        said.replaceChildren(notice('ok', t('key_revoked_ok') + k.key_id));
        list.reload();
      } catch (err) {
        said.replaceChildren(errorBox(err));
        button.disabled = false;
      }
    }
    const columns = [
      { key: 'key_id', label: t('key_id') },
      { key: 'name', label: t('key_name') },
      { key: 'role', label: t('key_role'), render: (k) => t('role_' + k.role.replace('-', '_')) },
      { key: 'status', label: t('key_status'), render: (k) => t('key_status_' + k.status) },
      { key: 'created_at', label: t('key_created'), render: (k) => fmtTime(k.created_at) },
      { key: 'expires_at', label: t('key_expires'), render: (k) => fmtTime(k.expires_at) },
      { key: 'actions', label: t('key_actions'), render: (k) => {
        if (k.status !== 'active') return '';
        const b = h('button', { type: 'button', class: 'small secondary', 'data-revoke': k.key_id }, t('key_revoke'));
        return h('span', null, confirmStep(b, t('key_revoke_confirm'), () => revoke(k, b)));
      } },
    ];
    const list = pager((cursor) => api(base, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    root.append(createForm(ctx.account_id, () => list.reload()), said, list);
    await list.ready;
  },
};
