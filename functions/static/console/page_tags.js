// Corp tags (企业客户标签) of a WeCom account: the catalogue with each tag's group, in WeCom's display order, a page
// at a time; operators sync it from WeCom and create a group with its tags. Rename, reorder and delete: the CLI
// (`scrm tags`) or the admin API.
import { addMessages } from './i18n.js';
import { api, field, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  tg_name: { zh: '标签', en: 'Tag' },
  tg_group: { zh: '标签组', en: 'Group' },
  tg_order: { zh: '排序值', en: 'Order' },
  tg_id: { zh: '标签 ID', en: 'Tag id' },
  tg_created: { zh: '创建时间', en: 'Created' },
  tg_sync: { zh: '从企业微信同步', en: 'Sync from WeCom' },
  tg_synced: { zh: '已同步（标签组 / 标签）', en: 'Synced (groups / tags)' },
  tg_new_group: { zh: '新标签组名称', en: 'New group name' },
  tg_new_tags: { zh: '标签（逗号分隔）', en: 'Tags (comma separated)' },
  tg_create: { zh: '创建', en: 'Create' },
});

export default {
  id: 'tags',
  title: { zh: '客户标签', en: 'Corp tags' },
  role: 'viewer',
  // in the nav for WeCom accounts only (an Official Account's answer is a 400: corp tags belong to a WeCom corp)
  async available(ctx) {
    if (!ctx.account_id) return false;
    try { await api(`/accounts/${encodeURIComponent(ctx.account_id)}/tags`, { query: { limit: 1 } }); return true; }
    catch { return false; }
  },
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${encodeURIComponent(ctx.account_id)}/tags`;
    const columns = [
      { key: 'group_name', label: t('tg_group') },
      { key: 'name', label: t('tg_name') },
      { key: 'order', label: t('tg_order'), class: 'num' },
      { key: 'tag_id', label: t('tg_id') },
      { key: 'created_at', label: t('tg_created'), render: (r) => fmtTime(r.created_at) },
    ];
    const status = h('div', { id: 'tags-status' });
    const list = pager((cursor) => api(base, { query: { limit: 100, cursor } }),
      (items, container) => { container.appendChild(table(columns, items)); });
    const say = (kind, message) => { status.replaceChildren(notice(kind, message)); };
    const run = async (work) => {
      try { await work(); await list.reload(); } catch (err) { say('error', err.message || String(err)); }
    };
    if (ctx.allowed('operator')) {
      const groupName = h('input', { id: 'tags-group', name: 'group_name', maxLength: 30, required: true });
      const names = h('input', { id: 'tags-names', name: 'tags', required: true, placeholder: '金卡, 银卡' });
      const create = h('form', { class: 'toolbar', id: 'tags-create', onsubmit: (e) => {
        e.preventDefault();
        const tags = names.value.split(/[,，]/).map((n) => n.trim()).filter(Boolean).map((name) => ({ name }));
        run(async () => { await api(base, { method: 'POST', body: { group_name: groupName.value.trim(), tags } }); });
      } }, field(t('tg_new_group'), groupName), field(t('tg_new_tags'), names),
      h('button', { type: 'submit', class: 'primary' }, t('tg_create')));
      const sync = h('button', { type: 'button', id: 'tags-sync', class: 'secondary', onclick: () => run(async () => {
        const done = await api(`${base}/sync`, { method: 'POST' });
        say('info', `${t('tg_synced')}: ${done.groups} / ${done.tags}`);
      }) }, t('tg_sync'));
      root.append(create, h('div', { class: 'toolbar' }, sync));
    }
    root.append(status, list);
    await list.ready;
  },
};
