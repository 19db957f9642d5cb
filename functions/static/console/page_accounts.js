// Accounts: the list, and each account's WeChat set-up (callback URL, Token, EncodingAESKey to paste into the
// WeChat console, with copy buttons) and a check that the URL answers WeChat's GET check.
import { addMessages } from './i18n.js';
import { api, copyText, errorBox, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  accounts_title: { zh: '账号', en: 'Accounts' },
  acc_id: { zh: '账号 ID', en: 'Account id' },
  acc_name: { zh: '名称', en: 'Name' },
  acc_kind: { zh: '类型', en: 'Kind' },
  acc_kind_oa: { zh: '公众号', en: 'Official Account' },
  acc_kind_wecom: { zh: '企业微信', en: 'WeCom' },
  acc_app_id: { zh: 'AppID / CorpID', en: 'AppID / CorpID' },
  acc_mode: { zh: '消息加解密方式', en: 'Message encryption' },
  acc_mode_plaintext: { zh: '明文模式', en: 'Plaintext' },
  acc_mode_compatible: { zh: '兼容模式', en: 'Compatible' },
  acc_mode_safe: { zh: '安全模式', en: 'Safe (encrypted)' },
  acc_status: { zh: '状态', en: 'Status' },
  acc_status_active: { zh: '启用', en: 'Active' },
  acc_status_disabled: { zh: '已停用', en: 'Disabled' },
  acc_setup: { zh: '接入配置', en: 'WeChat set-up' },
  acc_setup_show: { zh: '查看接入配置', en: 'Show set-up' },
  acc_setup_hint: {
    zh: '将以下内容填入微信公众平台「基本配置 → 服务器配置」或企业微信「接收消息 → 设置API接收」。查看会记入审计日志。',
    en: 'Paste these into the WeChat console (Basic configuration → Server) or WeCom (Receive messages → API). Viewing is audited.',
  },
  acc_callback_url: { zh: '服务器地址 (URL)', en: 'Callback URL' },
  acc_token: { zh: '令牌 (Token)', en: 'Token' },
  acc_aes_key: { zh: '消息加解密密钥 (EncodingAESKey)', en: 'EncodingAESKey' },
  acc_check: { zh: '检查', en: 'Check' },
  acc_check_ok: { zh: '检查通过：地址已正确响应微信的校验请求。', en: 'OK: the URL answered WeChat\u2019s check.' },
  acc_check_failed: { zh: '检查未通过', en: 'Check failed' },
  acc_admin_only: { zh: '仅管理员可查看接入配置。', en: 'Only an admin may see the set-up.' },
  acc_created: { zh: '创建时间', en: 'Created' },
});

const modeLabel = (mode) => (mode ? t(`acc_mode_${mode}`) : '');

function setupRow(label, value, id) {
  const copy = h('button', { type: 'button', class: 'small secondary', 'data-copy': id,
    onclick: (e) => copyText(value || '', e.currentTarget) }, t('copy'));
  return h('div', { class: 'setup-row' }, h('span', { class: 'field-label' }, label),
    h('code', { class: 'secret', id: `setup-${id}` }, value || '—'), copy);
}

async function showSetup(account, box) {
  box.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  try {
    const setup = await api(`/accounts/${encodeURIComponent(account.account_id)}/setup`);
    const result = h('div', { class: 'check-result', id: 'check-result' });
    const checkButton = h('button', { type: 'button', class: 'primary', id: 'callback-check', onclick: async () => {
      checkButton.disabled = true;
      result.replaceChildren(h('p', { class: 'loading' }, t('loading')));
      try {
        const out = await api(`/accounts/${encodeURIComponent(account.account_id)}/callback-check`, { method: 'POST' });
        result.replaceChildren(out.ok ? notice('ok', `${t('acc_check_ok')} (${fmtTime(out.checked_at)})`)
          : notice('error', `${t('acc_check_failed')}: ${out.detail}`));
      } catch (err) {
        result.replaceChildren(errorBox(err));
      } finally {
        checkButton.disabled = false;
      }
    } }, `${t('acc_check')} / check`);
    box.replaceChildren(h('div', { class: 'card setup', 'data-account': account.account_id },
      h('h2', null, `${t('acc_setup')} · ${account.name || account.account_id}`),
      h('p', { class: 'field-hint' }, t('acc_setup_hint')),
      setupRow(t('acc_callback_url'), setup.callback_url, 'url'),
      setupRow(t('acc_token'), setup.token, 'token'),
      setupRow(t('acc_aes_key'), setup.aes_key, 'aes-key'),
      h('div', { class: 'setup-row' }, h('span', { class: 'field-label' }, t('acc_mode')),
        h('span', { id: 'setup-mode' }, modeLabel(setup.encrypt_mode)), h('span')),
      h('div', { class: 'actions' }, checkButton), result));
  } catch (err) {
    box.replaceChildren(errorBox(err));
  }
}

export default {
  id: 'accounts',
  title: { zh: '账号', en: 'Accounts' },
  role: 'viewer',
  async render(root, ctx) {
    const detail = h('div', { class: 'account-setup' });
    const isAdmin = ctx.allowed('admin');
    const columns = [
      { key: 'account_id', label: t('acc_id') },
      { key: 'name', label: t('acc_name') },
      { key: 'kind', label: t('acc_kind'), render: (a) => t(`acc_kind_${a.kind}`) },
      { key: 'app_id', label: t('acc_app_id') },
      { key: 'message_mode', label: t('acc_mode'), render: (a) => modeLabel(a.message_mode) },
      { key: 'status', label: t('acc_status'), render: (a) => t(`acc_status_${a.status}`) },
      { key: 'created_at', label: t('acc_created'), render: (a) => fmtTime(a.created_at) },
      { key: 'setup', label: t('acc_setup'), render: (a) => (isAdmin
        ? h('button', { type: 'button', class: 'small secondary', 'data-setup': a.account_id,
          onclick: () => showSetup(a, detail) }, t('acc_setup_show'))
        : h('span', { class: 'field-hint' }, t('acc_admin_only'))) },
    ];
    const list = pager((cursor) => api('/accounts', { query: { limit: 50, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    root.append(list, detail);
    await list.ready;
  },
};
