// Content pushes (群发推送): a draft, its preview (audience size, who is left out and why, the quota effect), the
// confirmation that schedules it, and each run's delivery figures. Operators create and send; viewers read.
import { addMessages } from './i18n.js';
import { actionButton } from './confirm.js';
import { api, chart, errorBox, field, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  pu_name: { zh: '推送名称', en: 'Name' },
  pu_status: { zh: '状态', en: 'Status' },
  pu_status_draft: { zh: '草稿', en: 'Draft' },
  pu_status_scheduled: { zh: '已排期', en: 'Scheduled' },
  pu_status_running: { zh: '发送中', en: 'Sending' },
  pu_status_completed: { zh: '已完成', en: 'Completed' },
  pu_status_failed: { zh: '失败', en: 'Failed' },
  pu_status_cancelled: { zh: '已取消', en: 'Cancelled' },
  pu_send_at: { zh: '发送时间', en: 'Send at' },
  pu_send_now: { zh: '确认后立即发送', en: 'Send as soon as confirmed' },
  pu_text: { zh: '消息内容（文本）', en: 'Message (text)' },
  pu_type: { zh: '消息类型', en: 'Content type' },
  pu_type_text: { zh: '文本', en: 'Text' },
  pu_type_image: { zh: '图片', en: 'Image' },
  pu_type_news: { zh: '图文（已发布的图文素材）', en: 'Article (a published news item)' },
  pu_type_template: { zh: '模板消息（服务号）', en: 'Template message (service accounts)' },
  pu_type_wecom: { zh: '企业微信消息', en: 'WeCom message' },
  pu_media_ids: { zh: '图片素材 media_id（多张用逗号分隔，最多 8 张）', en: 'Image media_ids (comma-separated, up to 8)' },
  pu_media_id: { zh: '图文素材 media_id', en: 'Article media_id' },
  pu_template_id: { zh: '模板 ID', en: 'Template id' },
  pu_template_data: { zh: '模板数据（每行 关键词=内容，如 first=您好）', en: 'Template data (one key=value a line, e.g. first=Hello)' },
  pu_url: { zh: '点击打开的链接（可选）', en: 'Link opened on tap (optional)' },
  pu_delivery: { zh: '发送方式', en: 'Delivery' },
  pu_delivery_mass: { zh: '群发（占用群发次数）', en: 'Mass send (uses the monthly allowance)' },
  pu_delivery_custom: { zh: '客服消息（仅 48 小时内互动过的粉丝）', en: 'Customer-service message (followers active in the last 48 h)' },
  pu_attach_image: { zh: '附图 media_id（可选）', en: 'Image media_id (optional)' },
  pu_attach_link_title: { zh: '附链接标题（可选）', en: 'Link title (optional)' },
  pu_attach_link_url: { zh: '附链接地址', en: 'Link URL' },
  pu_data_line: { zh: '模板数据第 {n} 行应为 关键词=内容', en: 'Template data line {n} should be key=value' },
  pu_audience: { zh: '发送对象', en: 'Audience' },
  pu_aud_all: { zh: '全部粉丝 / 客户', en: 'Everyone' },
  pu_aud_tags: { zh: '按标签', en: 'By tags' },
  pu_aud_channel_group: { zh: '按渠道分组', en: 'By channel group' },
  pu_aud_list: { zh: '指定名单', en: 'A list' },
  pu_aud_value: { zh: '标签 ID / 渠道分组 / openid（逗号分隔）', en: 'Tag ids / channel group / openids (comma-separated)' },
  pu_new: { zh: '新建推送（草稿）', en: 'New push (draft)' },
  pu_created: { zh: '草稿已创建：请先预览，再确认发送。', en: 'Draft created: preview it, then confirm.' },
  pu_open: { zh: '查看', en: 'Open' },
  pu_detail: { zh: '推送详情', en: 'Push' },
  pu_preview: { zh: '预览', en: 'Preview' },
  pu_confirm: { zh: '确认发送', en: 'Confirm' },
  pu_confirm_q: { zh: '确认按预览结果发送这条推送？', en: 'Send this push as previewed?' },
  pu_cancel: { zh: '取消推送', en: 'Cancel push' },
  pu_cancel_q: { zh: '取消这条推送？', en: 'Cancel this push?' },
  pu_pv_audience: { zh: '目标人数', en: 'Audience' },
  pu_pv_eligible: { zh: '实际可发送', en: 'Will receive' },
  pu_pv_over_quota: { zh: '已达配额（本次不发）', en: 'At quota (left out)' },
  pu_pv_left_out: { zh: '被排除', en: 'Left out' },
  pu_pv_batches: { zh: '批次', en: 'Batches' },
  pu_pv_calls: { zh: '接口调用次数', en: 'API calls' },
  pu_pv_account_quota: { zh: '占用账号群发配额', en: 'Uses the account\'s mass-send quota' },
  pu_pv_estimated: { zh: '（估算）', en: '(estimated)' },
  pu_pv_none: { zh: '尚未预览', en: 'Not previewed yet' },
  pu_reason: { zh: '原因', en: 'Reason' },
  pu_count: { zh: '人数', en: 'People' },
  pu_reason_unsubscribed: { zh: '已取消关注', en: 'Unfollowed' },
  pu_reason_moved_staff: { zh: '已不在原接待员工名下', en: 'No longer with the staff member' },
  pu_runs: { zh: '发送记录', en: 'Runs' },
  pu_run: { zh: '第几次', en: 'Run' },
  pu_sent: { zh: '已提交', en: 'Sent' },
  pu_delivered: { zh: '送达', en: 'Delivered' },
  pu_failed: { zh: '失败', en: 'Failed' },
  pu_errors: { zh: '平台报错', en: 'Platform errors' },
  pu_recipients: { zh: '接收人', en: 'Recipients' },
  pu_pending: { zh: '等待结果', en: 'Awaiting results' },
  pu_no_runs: { zh: '还没有发送。', en: 'Not sent yet.' },
  pu_last_error: { zh: '最近错误：', en: 'Last error: ' },
  pu_quota_rules: { zh: '配额规则：', en: 'Quota rules: ' },
  pu_scope_recipient: { zh: '每位接收人', en: 'Each recipient' },
  pu_scope_account: { zh: '整个账号', en: 'The account' },
  pu_period_day: { zh: '天', en: 'day' },
  pu_period_month: { zh: '月', en: 'month' },
  pu_yes: { zh: '是', en: 'Yes' },
  pu_no: { zh: '否', en: 'No' },
});

const enc = encodeURIComponent;
const RUN_FIGURES = ['recipients', 'eligible', 'over_quota', 'sent', 'failed', 'delivered', 'errors', 'pending_results'];

function figures(rows) {
  return h('dl', { class: 'figures' }, rows.map(([label, value, id]) => h('div', { class: 'figure', 'data-figure': id },
    h('dt', null, label), h('dd', null, value === undefined || value === null ? '–' : String(value)))));
}

function reasonLabel(reason) {
  const key = 'pu_reason_' + reason;
  const text = t(key);
  return text === key ? reason : text;
}

function audienceLabel(type) {
  const key = 'pu_aud_' + type;
  return t(key) === key ? type : t(key);
}

function previewView(p) {
  if (!p) return notice('info', t('pu_pv_none'));
  const leftOut = Object.entries(p.left_out || {}).filter(([, n]) => n);
  return h('div', { class: 'push-preview', id: 'push-preview' },
    figures([[t('pu_pv_audience'), `${p.audience}${p.estimated ? ' ' + t('pu_pv_estimated') : ''}`, 'audience'],
      [t('pu_pv_eligible'), p.eligible, 'eligible'], [t('pu_pv_over_quota'), p.over_quota, 'over_quota'],
      [t('pu_pv_left_out'), p.left_out_total || 0, 'left_out'], [t('pu_pv_batches'), p.batches, 'batches'],
      [t('pu_pv_calls'), p.api_calls, 'api_calls'],
      [t('pu_pv_account_quota'), p.account_quota_used === undefined ? null : t(p.account_quota_used ? 'pu_yes' : 'pu_no'),
        'account_quota']]),
    (p.quota_rules || []).length ? h('p', { class: 'field-hint', id: 'push-quota-rules' }, t('pu_quota_rules'),
      p.quota_rules.map((r) => `${t('pu_scope_' + r.scope)} ${r.limit} / ${t('pu_period_' + r.period)}`).join('; ')) : null,
    leftOut.length ? table([{ key: 'reason', label: t('pu_reason'), render: (r) => reasonLabel(r[0]) },
      { key: 'n', label: t('pu_count'), class: 'num', render: (r) => r[1] }], leftOut) : null);
}

function runsView(push) {
  const runs = push.runs || [];
  if (!runs.length) return notice('info', t('pu_no_runs'));
  return table([{ key: 'run_no', label: t('pu_run'), class: 'num' },
    ...RUN_FIGURES.map((k) => ({ key: k, label: t({ recipients: 'pu_recipients', eligible: 'pu_pv_eligible',
      over_quota: 'pu_pv_over_quota', sent: 'pu_sent', failed: 'pu_failed', delivered: 'pu_delivered',
      errors: 'pu_errors', pending_results: 'pu_pending' }[k]), class: 'num' }))], runs);
}

async function detail(box, base, pushId, canSend, onChange) {
  const push = await api(`${base}/${enc(pushId)}`);
  const said = h('div');
  const act = (label, id, path, question) => actionButton(label, { id, primary: id === 'push-confirm' }, question,
    async () => {
      await api(`${base}/${enc(pushId)}/${path}`, { method: 'POST' });
      await detail(box, base, pushId, canSend, onChange);
      onChange();
    }, said);
  const open = ['draft', 'scheduled'].includes(push.status);
  const chartEl = h('div', { class: 'chart', id: 'push-chart' });
  box.replaceChildren(h('div', { class: 'card', id: 'push-detail', 'data-status': push.status },
    h('h2', null, `${t('pu_detail')}: ${push.name || push.push_id}`),
    figures([[t('pu_status'), t('pu_status_' + push.status), 'status'], [t('pu_send_at'), fmtTime(push.send_at), 'send_at'],
      [t('pu_audience'), audienceLabel(push.audience.type), 'audience_type']]),
    push.last_error ? notice('error', t('pu_last_error') + push.last_error) : null,
    h('h3', null, t('pu_preview')), previewView(push.preview),
    canSend && open ? h('div', { class: 'actions' },
      push.status === 'draft' ? act(t('pu_preview'), 'push-preview-run', 'preview') : null,
      push.status === 'draft' ? act(t('pu_confirm'), 'push-confirm', 'confirm', t('pu_confirm_q')) : null,
      act(t('pu_cancel'), 'push-cancel', 'cancel', t('pu_cancel_q'))) : null,
    said, h('h3', null, t('pu_runs')), h('div', { id: 'push-runs' }, runsView(push)),
    (push.runs || []).length ? chartEl : null,
    h('button', { type: 'button', class: 'secondary', id: 'push-refresh',
      onclick: () => { onChange(); detail(box, base, pushId, canSend, onChange); } }, t('refresh'))));
  if ((push.runs || []).length) {
    const labels = ['sent', 'delivered', 'failed', 'errors'];
    await chart(chartEl, {
      xAxis: { type: 'category', data: push.runs.map((r) => `#${r.run_no}`) }, yAxis: { type: 'value' },
      legend: { data: labels.map((k) => t('pu_' + k)) },
      series: labels.map((k) => ({ name: t('pu_' + k), type: 'bar', data: push.runs.map((r) => r[k] || 0) })),
    });
  }
}

// The content part of the form: which fields show follows the type (OA: text, image, news, template; WeCom: its
// text with an optional image and link), and `read()` gives the body's `content` as the API documents it.
const OA_TYPES = ['text', 'image', 'news', 'template'];

function contentFields(kind) {
  const types = kind === 'wecom' ? ['wecom'] : OA_TYPES;
  const type = h('select', { id: 'push-type' }, types.map((k) => h('option', { value: k }, t('pu_type_' + k))));
  const text = h('textarea', { id: 'push-text', rows: 3 });
  const mediaIds = h('input', { id: 'push-media-ids' });
  const mediaId = h('input', { id: 'push-media-id', maxLength: 128 });
  const templateId = h('input', { id: 'push-template-id', maxLength: 128 });
  const data = h('textarea', { id: 'push-template-data', rows: 3 });
  const url = h('input', { id: 'push-url', type: 'url', maxLength: 1024 });
  const delivery = h('select', { id: 'push-delivery' },
    ['mass', 'custom'].map((d) => h('option', { value: d }, t('pu_delivery_' + d))));
  const image = h('input', { id: 'push-attach-image', maxLength: 128 });
  const linkTitle = h('input', { id: 'push-attach-link-title', maxLength: 128 });
  const linkUrl = h('input', { id: 'push-attach-link-url', type: 'url', maxLength: 1024 });
  const rows = {
    text: field(t('pu_text'), text), media_ids: field(t('pu_media_ids'), mediaIds),
    media_id: field(t('pu_media_id'), mediaId), template_id: field(t('pu_template_id'), templateId),
    data: field(t('pu_template_data'), data), url: field(t('pu_url'), url), delivery: field(t('pu_delivery'), delivery),
    image: field(t('pu_attach_image'), image), link_title: field(t('pu_attach_link_title'), linkTitle),
    link_url: field(t('pu_attach_link_url'), linkUrl),
  };
  const shown = { text: ['text', 'delivery'], image: ['media_ids', 'delivery'], news: ['media_id'],
    template: ['template_id', 'data', 'url'], wecom: ['text', 'image', 'link_title', 'link_url'] };
  const show = () => Object.entries(rows).forEach(([k, el]) => el.classList.toggle('hidden', !shown[type.value].includes(k)));
  type.addEventListener('change', show);
  show();
  const list = (value) => value.split(/[,，\s]+/).filter(Boolean);
  const read = () => {
    const c = { type: type.value };
    if (type.value === 'text' || type.value === 'wecom') c.text = text.value;
    if (type.value === 'image') c.media_ids = list(mediaIds.value);
    if (type.value === 'news') c.media_id = mediaId.value.trim();
    if (['text', 'image'].includes(type.value) && delivery.value === 'custom') c.delivery = 'custom';
    if (type.value === 'template') {
      c.template_id = templateId.value.trim();
      c.data = templateData(data.value);
      if (url.value.trim()) c.url = url.value.trim();
    }
    if (type.value === 'wecom') {
      const attachments = [];
      if (image.value.trim()) attachments.push({ msgtype: 'image', image: { media_id: image.value.trim() } });
      if (linkUrl.value.trim()) {
        attachments.push({ msgtype: 'link', link: { title: linkTitle.value.trim() || linkUrl.value.trim(), url: linkUrl.value.trim() } });
      }
      if (attachments.length) c.attachments = attachments;
    }
    return c;
  };
  const reset = () => { type.value = types[0]; show(); };
  return { elements: [field(t('pu_type'), type), ...Object.values(rows)], read, reset };
}

// "first=您好" lines as the template's data ({key: {value}}); a line without "=" is the user's mistake, named.
function templateData(text) {
  const out = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf('=');
    if (at < 1) throw new Error(fill(t('pu_data_line'), { n: i + 1 }));
    out[line.slice(0, at).trim()] = { value: line.slice(at + 1).trim() };
  });
  return out;
}

function fill(text, values) { return text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? '')); }

function createForm(base, kind, onCreated) {
  const name = h('input', { id: 'push-name', maxLength: 128, required: true });
  const content = contentFields(kind);
  const audience = h('select', { id: 'push-audience' },
    ['all', 'tags', 'channel_group', 'list'].map((a) => h('option', { value: a }, t('pu_aud_' + a))));
  const value = h('input', { id: 'push-audience-value' });
  const now = h('input', { type: 'checkbox', id: 'push-now', checked: true });
  const when = h('input', { type: 'datetime-local', id: 'push-send-at', step: 1 });
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'push-create' }, t('create'));
  const form = h('form', { class: 'card', id: 'push-form', onsubmit: async (e) => {
    e.preventDefault();
    const items = value.value.split(/[,，\s]+/).filter(Boolean);
    const aud = { type: audience.value };
    if (audience.value === 'tags') aud.tag_ids = items.map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    if (audience.value === 'channel_group') aud.group = value.value.trim();
    if (audience.value === 'list') aud.recipients = items;
    submit.disabled = true;
    try {
      // "now" is sent with its offset; a chosen time without one, which the API reads in Asia/Shanghai
      const body = { name: name.value, content: content.read(), audience: aud,
        send_at: now.checked || !when.value ? new Date().toISOString() : when.value, timezone: 'Asia/Shanghai' };
      const push = await api(base, { method: 'POST', body });
      form.reset();
      content.reset();
      now.checked = true;
      status.replaceChildren(notice('ok', t('pu_created')));
      onCreated(push);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', null, t('pu_new')),
  h('div', { class: 'form-grid' }, field(t('pu_name'), name), field(t('pu_audience'), audience),
    field(t('pu_aud_value'), value)),
  h('div', { class: 'form-grid', id: 'push-content' }, ...content.elements),
  h('div', { class: 'form-grid' }, h('label', { class: 'field' }, h('span', null, now, ' ', t('pu_send_now'))),
    field(t('pu_send_at'), when)), submit, status);
  return form;
}

export default {
  id: 'pushes',
  title: { zh: '群发推送', en: 'Pushes' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}/pushes`;
    const canSend = ctx.allowed('operator');
    const box = h('div', { id: 'push-detail-box' });
    const show = (pushId) => detail(box, base, pushId, canSend, () => list.reload()).catch((err) => box.replaceChildren(errorBox(err)));
    const columns = [
      { key: 'name', label: t('pu_name'), render: (p) => p.name || p.push_id },
      { key: 'status', label: t('pu_status'), render: (p) => t('pu_status_' + p.status) },
      { key: 'send_at', label: t('pu_send_at'), render: (p) => fmtTime(p.send_at) },
      { key: 'eligible', label: t('pu_pv_eligible'), class: 'num', render: (p) => (p.preview ? p.preview.eligible : '') },
      { key: 'delivered', label: t('pu_delivered'), class: 'num',
        render: (p) => (p.runs || []).reduce((n, r) => n + (r.delivered || 0), 0) },
      { key: 'open', label: '', render: (p) => {
        const b = h('button', { type: 'button', class: 'small secondary', 'data-open': p.push_id }, t('pu_open'));
        b.addEventListener('click', () => show(p.push_id));
        return b;
      } },
    ];
    const list = pager((cursor) => api(base, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    if (canSend) {
      const account = await api(`/accounts/${enc(ctx.account_id)}`);
      root.appendChild(createForm(base, account.kind, (push) => { list.reload(); show(push.push_id); }));
    }
    root.append(box, list);
    if (ctx.params && ctx.params.push) show(ctx.params.push);
    await list.ready;
  },
};
