// The audit log (操作日志): every change and every read of personal data, newest first, a page at a time,
// filtered by action and key as the route allows. Admin only, as the API is.
import { addMessages } from './i18n.js';
import { api, downloadCsv, field, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  au_at: { zh: '时间', en: 'Time' },
  au_key: { zh: '密钥 / 会话', en: 'Key / session' },
  au_action: { zh: '操作', en: 'Action' },
  au_object: { zh: '对象', en: 'Object' },
  au_outcome: { zh: '结果', en: 'Outcome' },
  au_outcome_ok: { zh: '成功', en: 'OK' },
  au_outcome_error: { zh: '失败', en: 'Error' },
  au_outcome_denied: { zh: '拒绝', en: 'Denied' },
  au_status: { zh: 'HTTP 状态', en: 'HTTP status' },
  au_detail: { zh: '详情', en: 'Detail' },
  au_filter: { zh: '筛选', en: 'Filter' },
  au_action_hint: { zh: '如 push.confirm、key.create', en: 'e.g. push.confirm, key.create' },
  au_csv: { zh: '导出本页 CSV', en: 'This page as CSV' },
});

export default {
  id: 'audit',
  title: { zh: '操作日志', en: 'Audit log' },
  role: 'admin',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const action = h('input', { id: 'audit-action', name: 'action', maxLength: 100, placeholder: t('au_action_hint') });
    const keyId = h('input', { id: 'audit-key', name: 'key_id', maxLength: 100 });
    let shown = [];
    const columns = [
      { key: 'at', label: t('au_at'), render: (e) => fmtTime(e.at) },
      { key: 'key_id', label: t('au_key') },
      { key: 'action', label: t('au_action') },
      { key: 'object', label: t('au_object'), render: (e) => `${e.method || ''} ${e.object}`.trim() },
      { key: 'outcome', label: t('au_outcome'), render: (e) => t('au_outcome_' + e.outcome) },
      { key: 'status', label: t('au_status'), class: 'num' },
      { key: 'detail', label: t('au_detail') },
    ];
    const list = pager((cursor) => api(`/accounts/${encodeURIComponent(ctx.account_id)}/audit`,
      { query: { limit: 50, cursor, action: action.value.trim(), key_id: keyId.value.trim() } }),
    (items, container) => { shown = items; container.appendChild(table(columns, items)); });
    const filter = h('form', { class: 'toolbar', id: 'audit-filter', onsubmit: (e) => { e.preventDefault(); list.reload(); } },
      field(t('au_action'), action), field(t('au_key'), keyId),
      h('button', { type: 'submit', class: 'primary' }, t('au_filter')),
      h('button', { type: 'button', class: 'secondary', onclick: () => downloadCsv('audit.csv',
        [columns.map((c) => c.label), ...shown.map((e) => [e.at, e.key_id, e.action, `${e.method || ''} ${e.object}`,
          e.outcome, e.status, e.detail || ''])]) }, t('au_csv')));
    root.append(filter, list);
    await list.ready;
  },
};
