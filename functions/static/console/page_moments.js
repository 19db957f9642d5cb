// Customer moments (客户朋友圈) of a WeCom corp: the list (newest first, with status), scheduling one (operator:
// text, the staff who publish it and the customer tags that make its visible range, its time in China time), and a
// moment's figures (staff who published it and who did not, comments, likes). Operators preview the visible range
// and cancel a moment before it runs; viewers read.
import { addMessages } from './i18n.js';
import { api, errorBox, field, figures, fmtTime, h, idempotencyKey, isWecom, notice, pager, t, table } from './lib.js';

addMessages({
  mo_list: { zh: '朋友圈列表', en: 'Moments' },
  mo_name: { zh: '名称', en: 'Name' },
  mo_text: { zh: '内容', en: 'Text' },
  mo_status: { zh: '状态', en: 'Status' },
  mo_status_scheduled: { zh: '待发布', en: 'Scheduled' },
  mo_status_creating: { zh: '创建中', en: 'Creating' },
  mo_status_publishing: { zh: '发表中', en: 'Publishing' },
  mo_status_completed: { zh: '已完成', en: 'Completed' },
  mo_status_failed: { zh: '失败', en: 'Failed' },
  mo_status_cancelled: { zh: '已取消', en: 'Cancelled' },
  mo_send_at: { zh: '发布时间', en: 'Send at' },
  mo_send_at_hint: { zh: '北京时间', en: 'China time' },
  mo_senders: { zh: '发表员工', en: 'Staff' },
  mo_senders_hint: { zh: '员工 userid，逗号分隔', en: 'Staff userids, comma separated' },
  mo_tags: { zh: '可见客户标签', en: 'Customer tags' },
  mo_tags_hint: { zh: '不选则为员工的全部客户可见', en: "None: all the staff's customers see it" },
  mo_tag_ids: { zh: '标签 ID（逗号分隔）', en: 'Tag ids (comma separated)' },
  mo_tag_deleted: { zh: '标签已删除', en: 'tag deleted' },
  mo_visible: { zh: '可见客户', en: 'Visible to' },
  mo_new: { zh: '新建朋友圈', en: 'New moment' },
  mo_create: { zh: '创建并排期', en: 'Schedule' },
  mo_created: { zh: '已排期：', en: 'Scheduled: ' },
  mo_open: { zh: '查看', en: 'Open' },
  mo_detail: { zh: '朋友圈详情', en: 'Moment' },
  mo_figures: { zh: '数据', en: 'Figures' },
  mo_f_senders: { zh: '发表员工数', en: 'Staff' },
  mo_f_published: { zh: '已发表', en: 'Published' },
  mo_f_not_published: { zh: '未发表', en: 'Not published' },
  mo_f_comments: { zh: '评论', en: 'Comments' },
  mo_f_likes: { zh: '点赞', en: 'Likes' },
  mo_f_at: { zh: '数据更新于', en: 'Figures as of' },
  mo_staff: { zh: '员工', en: 'Staff member' },
  mo_published_yes: { zh: '已发表', en: 'Published' },
  mo_published_no: { zh: '未发表', en: 'Not yet' },
  mo_preview: { zh: '预览可见范围', en: 'Preview the visible range' },
  mo_pv_visible: { zh: '可见客户', en: 'Visible customers' },
  mo_pv_over_quota: { zh: '本月已达上限', en: 'At the monthly limit' },
  mo_pv_eligible: { zh: '可收到', en: 'Will see it' },
  mo_cancel: { zh: '取消发布', en: 'Cancel it' },
  mo_cancel_sure: { zh: '确定取消？', en: 'Cancel this moment?' },
  mo_yes: { zh: '确定', en: 'Yes' },
  mo_error: { zh: '错误', en: 'Error' },
});

const enc = encodeURIComponent;
const splitList = (s) => s.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

// The account's corp tags for the visible range (up to 1,000); null when the catalogue cannot be read.
async function corpTags(base) {
  const out = [];
  let cursor = null;
  try {
    for (let i = 0; i < 10; i += 1) {
      const answer = await api(`${base}/tags`, { query: { limit: 100, cursor } });
      out.push(...answer.items);
      cursor = answer.next_cursor;
      if (!cursor) return out;
    }
  } catch { return null; }
  return out;
}

function createForm(base, tags, onCreated) {
  const name = h('input', { id: 'mo-name', maxLength: 128 });
  const text = h('textarea', { id: 'mo-text', rows: 3, maxLength: 2000, required: true });
  const senders = h('input', { id: 'mo-senders', required: true, placeholder: 'zhangsan, lisi' });
  const sendAt = h('input', { type: 'datetime-local', id: 'mo-send-at', required: true });
  const tagInput = tags
    ? h('select', { id: 'mo-tags', multiple: true, size: Math.min(8, Math.max(3, tags.length)) },
      tags.map((tg) => h('option', { value: tg.tag_id }, `${tg.group_name || ''} / ${tg.name}`)))
    : h('input', { id: 'mo-tag-ids' });
  const status = h('div');
  let key = idempotencyKey();
  const submit = h('button', { type: 'submit', class: 'primary', id: 'mo-create' }, t('mo_create'));
  const form = h('form', { class: 'card', id: 'moment-form', onsubmit: async (e) => {
    e.preventDefault();
    const tagIds = tags ? [...tagInput.selectedOptions].map((o) => o.value) : splitList(tagInput.value);
    // the time as typed is China time: the API reads an ISO time without offset in `timezone`
    const body = { text: text.value, senders: splitList(senders.value), tag_ids: tagIds,
      send_at: sendAt.value.length === 16 ? `${sendAt.value}:00` : sendAt.value, timezone: 'Asia/Shanghai' };
    if (name.value.trim()) body.name = name.value.trim();
    submit.disabled = true;
    try {
      const moment = await api(`${base}/moments`, { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      key = idempotencyKey();
      form.reset();
      status.replaceChildren(notice('ok', t('mo_created') + (moment.name || moment.moment_id)));
      onCreated(moment);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', null, t('mo_new')),
  h('div', { class: 'form-grid' }, field(t('mo_name'), name),
    field(t('mo_send_at'), sendAt, t('mo_send_at_hint')), field(t('mo_senders'), senders, t('mo_senders_hint'))),
  field(t('mo_text'), text),
  field(tags ? t('mo_tags') : t('mo_tag_ids'), tagInput, t('mo_tags_hint')),
  status, submit);
  return form;
}

function figuresView(f) {
  const staff = (f.staff || []).map((s) => ({ ...s }));
  return h('div', { id: 'moment-figures' },
    figures([[t('mo_f_senders'), f.senders, 'senders'], [t('mo_f_published'), f.published, 'published'],
      [t('mo_f_not_published'), f.not_published, 'not_published'], [t('mo_f_comments'), f.comments, 'comments'],
      [t('mo_f_likes'), f.likes, 'likes'], [t('mo_f_at'), f.at ? fmtTime(f.at) : null, 'at']]),
    staff.length ? table([
      { key: 'userid', label: t('mo_staff') },
      { key: 'published', label: t('mo_f_published'),
        render: (s) => (s.published ? t('mo_published_yes') : t('mo_published_no')) },
      { key: 'comments', label: t('mo_f_comments'), class: 'num' },
      { key: 'likes', label: t('mo_f_likes'), class: 'num' },
    ], staff) : null);
}

function operatorTools(base, m, box, refresh) {
  const out = h('div', { id: 'moment-preview' });
  const preview = h('button', { type: 'button', class: 'secondary', id: 'mo-preview', onclick: async () => {
    preview.disabled = true;
    try {
      const p = await api(`${base}/moments/${enc(m.moment_id)}/preview`, { method: 'POST' });
      out.replaceChildren(figures([[t('mo_pv_visible'), p.visible, 'visible'],
        [t('mo_pv_over_quota'), p.over_quota, 'over_quota'], [t('mo_pv_eligible'), p.eligible, 'eligible']]));
    } catch (err) { out.replaceChildren(errorBox(err)); } finally { preview.disabled = false; }
  } }, t('mo_preview'));
  const sure = h('span', { class: 'confirm-step hidden' }, t('mo_cancel_sure'),
    h('button', { type: 'button', class: 'primary small', id: 'mo-cancel-yes', onclick: async () => {
      try { await api(`${base}/moments/${enc(m.moment_id)}/cancel`, { method: 'POST' }); await refresh(); }
      catch (err) { out.replaceChildren(errorBox(err)); }
    } }, t('mo_yes')));
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'mo-cancel',
    onclick: () => sure.classList.remove('hidden') }, t('mo_cancel'));
  const cancellable = ['scheduled', 'creating', 'publishing'].includes(m.status);
  box.append(h('div', { class: 'toolbar' }, preview, cancellable ? cancel : null, cancellable ? sure : null), out);
}

// The visible range's tags by name (group / tag), from the corp's catalogue; a tag deleted since is flagged, its
// id kept so it can still be told apart.
function tagList(m) {
  const named = m.tag_names || m.tag_ids.map((id) => ({ tag_id: id, name: null }));
  return h('span', { class: 'mo-tags' }, ...named.flatMap((tg, i) => [i ? '，' : null,
    h('span', { class: tg.deleted ? 'mo-tag deleted' : 'mo-tag', 'data-tag-id': tg.tag_id },
      tg.name ? `${tg.group_name || ''} / ${tg.name}` : h('span', { class: 'mono' }, tg.tag_id),
      tg.deleted ? `（${t('mo_tag_deleted')}）` : null)].filter(Boolean)));
}

async function showMoment(box, base, momentId, ctx, onChange) {
  const [m, f] = await Promise.all([api(`${base}/moments/${enc(momentId)}`),
    api(`${base}/moments/${enc(momentId)}/figures`)]);
  box.dataset.status = m.status;
  box.replaceChildren(...[ // (the DOM's replaceChildren would write a null as the text "null")
    h('h2', null, `${t('mo_detail')}：`, h('span', { class: 'mo-title' }, m.name || m.moment_id)),
    figures([[t('mo_status'), t('mo_status_' + m.status), 'status'], [t('mo_send_at'), fmtTime(m.send_at), 'send_at'],
      [t('mo_visible'), m.visible, 'visible']]),
    h('p', { class: 'mo-text' }, m.text || ''),
    h('p', null, `${t('mo_senders')}：`, h('span', { class: 'mo-senders' }, m.senders.join(', '))),
    m.tag_ids.length ? h('p', null, `${t('mo_tags')}：`, tagList(m)) : null,
    m.last_error ? notice('error', `${t('mo_error')}: ${m.last_error}`) : null,
    h('h3', null, t('mo_figures')), figuresView(f)].filter(Boolean));
  if (ctx.allowed('operator')) {
    operatorTools(base, m, box, async () => { await showMoment(box, base, momentId, ctx, onChange); onChange(); });
  }
}

export default {
  id: 'moments',
  title: { zh: '朋友圈', en: 'Moments' },
  role: 'viewer',
  available: (ctx) => isWecom(ctx.account_id),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}`;
    const detail = h('section', { id: 'moment-detail' });
    const columns = [
      { key: 'name', label: t('mo_name'), render: (m) => m.name || m.moment_id },
      { key: 'text', label: t('mo_text'), render: (m) => ((m.text || '').length > 40 ? `${m.text.slice(0, 40)}…` : m.text) },
      { key: 'status', label: t('mo_status'), render: (m) => t('mo_status_' + m.status) },
      { key: 'send_at', label: t('mo_send_at'), render: (m) => fmtTime(m.send_at) },
      { key: 'senders', label: t('mo_senders'), class: 'num', render: (m) => m.senders.length },
      { key: 'visible', label: t('mo_visible'), class: 'num' },
      { key: 'open', label: '', render: (m) => h('button', { type: 'button', class: 'small secondary',
        'data-moment': m.moment_id, onclick: () => ctx.navigate('moments', { moment: m.moment_id }) }, t('mo_open')) },
    ];
    const list = pager((cursor) => api(`${base}/moments`, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    if (ctx.allowed('operator')) {
      root.appendChild(createForm(base, await corpTags(base),
        (m) => { list.reload(); ctx.navigate('moments', { moment: m.moment_id }); }));
    }
    root.append(detail, h('section', { id: 'moment-list' }, h('h2', null, t('mo_list')), list));
    const open = ctx.params.moment
      ? showMoment(detail, base, ctx.params.moment, ctx, () => list.reload())
        .catch((err) => detail.replaceChildren(errorBox(err)))
      : null;
    await Promise.all([list.ready, open]);
  },
};
