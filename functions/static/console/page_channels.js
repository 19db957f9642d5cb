// Channels (渠道活码): the list with paging, creating one (operator), its QR code for download, and a link to
// its printable poster.
import { addMessages } from './i18n.js';
import { api, errorBox, field, h, notice, pager, t, table } from './lib.js';

addMessages({
  ch_name: { zh: '渠道名称', en: 'Name' },
  ch_group: { zh: '分组', en: 'Group' },
  ch_kind: { zh: '类型', en: 'Kind' },
  ch_kind_oa_qr: { zh: '公众号带参二维码', en: 'OA QR code' },
  ch_kind_wecom_contact_way: { zh: '企业微信联系我', en: 'WeCom contact way' },
  ch_scene: { zh: '场景值', en: 'Scene' },
  ch_status: { zh: '状态', en: 'Status' },
  ch_status_active: { zh: '使用中', en: 'Active' },
  ch_status_archived: { zh: '已归档', en: 'Archived' },
  ch_actions: { zh: '操作', en: 'Actions' },
  ch_poster: { zh: '海报', en: 'Poster' },
  ch_qr_png: { zh: '下载二维码 (PNG)', en: 'QR code (PNG)' },
  ch_qr_svg: { zh: 'SVG', en: 'SVG' },
  ch_new: { zh: '新建渠道', en: 'New channel' },
  ch_qr_type: { zh: '二维码类型', en: 'Code type' },
  ch_qr_permanent: { zh: '永久', en: 'Permanent' },
  ch_qr_temporary: { zh: '临时（30 天）', en: 'Temporary (30 days)' },
  ch_staff: { zh: '接待员工 userid（逗号分隔）', en: 'Staff userids (comma-separated)' },
  ch_welcome: { zh: '欢迎语', en: 'Welcome text' },
  ch_created: { zh: '渠道已创建：', en: 'Channel created: ' },
  ch_include_archived: { zh: '包含已归档', en: 'Include archived' },
});

// A key per submitted form, so a retried click creates one channel (the API honours Idempotency-Key).
function idempotencyKey() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function qrBlob(accountId, channelId, format = 'png') {
  const res = await api(`/accounts/${encodeURIComponent(accountId)}/channels/${encodeURIComponent(channelId)}/qrcode`,
    { query: { format, scale: 12 }, raw: true, headers: { Accept: format === 'svg' ? 'image/svg+xml' : 'image/png' } });
  return res.blob();
}

async function download(accountId, channel, format, button) {
  button.disabled = true;
  try {
    const url = URL.createObjectURL(await qrBlob(accountId, channel.channel_id, format));
    const a = h('a', { href: url, download: `channel-${channel.channel_id}.${format}`, class: 'hidden' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  } catch (err) {
    button.after(errorBox(err));
  } finally {
    button.disabled = false;
  }
}

function createForm(accountId, kind, onCreated) {
  const name = h('input', { name: 'name', id: 'ch-name', required: true, maxLength: 100 });
  const group = h('input', { name: 'group', id: 'ch-group', value: 'default', maxLength: 32 });
  const welcome = h('textarea', { name: 'welcome', id: 'ch-welcome', rows: 2 });
  const qrType = h('select', { name: 'qr_type', id: 'ch-qr-type' },
    h('option', { value: 'permanent' }, t('ch_qr_permanent')), h('option', { value: 'temporary' }, t('ch_qr_temporary')));
  const staff = h('input', { name: 'staff', id: 'ch-staff', placeholder: 'zhangsan, lisi' });
  const status = h('div');
  let key = idempotencyKey();
  const submit = h('button', { type: 'submit', class: 'primary', id: 'ch-create' }, t('create'));
  const form = h('form', { class: 'card', id: 'channel-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { kind: kind === 'wecom' ? 'wecom_contact_way' : 'oa_qr', name: name.value, group: group.value || 'default' };
    if (welcome.value.trim()) body.welcome = { text: welcome.value };
    if (kind === 'wecom') body.staff = staff.value.split(/[,，\s]+/).filter(Boolean);
    else body.qr_type = qrType.value;
    submit.disabled = true;
    try {
      const channel = await api(`/accounts/${encodeURIComponent(accountId)}/channels`,
        { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      key = idempotencyKey();
      form.reset();
      status.replaceChildren(notice('ok', t('ch_created') + channel.name));
      onCreated(channel);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', null, t('ch_new')),
  h('div', { class: 'form-grid' }, field(t('ch_name'), name), field(t('ch_group'), group),
    kind === 'wecom' ? field(t('ch_staff'), staff) : field(t('ch_qr_type'), qrType)),
  field(t('ch_welcome'), welcome), status, submit);
  return form;
}

export default {
  id: 'channels',
  title: { zh: '渠道活码', en: 'Channels' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const accountId = ctx.account_id;
    const account = await api(`/accounts/${encodeURIComponent(accountId)}`);
    const archived = h('input', { type: 'checkbox', id: 'ch-archived', onchange: () => list.reload() });
    const columns = [
      { key: 'name', label: t('ch_name') },
      { key: 'group', label: t('ch_group') },
      { key: 'kind', label: t('ch_kind'), render: (c) => t(`ch_kind_${c.kind}`) },
      { key: 'scene', label: t('ch_scene') },
      { key: 'status', label: t('ch_status'), render: (c) => t(`ch_status_${c.status}`) },
      { key: 'actions', label: t('ch_actions'), render: (c) => {
        const png = h('button', { type: 'button', class: 'small secondary', 'data-qr': c.channel_id },
          t('ch_qr_png'));
        png.addEventListener('click', () => download(accountId, c, 'png', png));
        const svg = h('button', { type: 'button', class: 'small secondary' }, t('ch_qr_svg'));
        svg.addEventListener('click', () => download(accountId, c, 'svg', svg));
        return h('div', { class: 'actions' },
          h('a', { href: `#/poster?channel=${encodeURIComponent(c.channel_id)}`, 'data-poster': c.channel_id },
            t('ch_poster')), png, svg);
      } },
    ];
    const list = pager((cursor) => api(`/accounts/${encodeURIComponent(accountId)}/channels`,
      { query: { limit: 20, cursor, include_archived: archived.checked ? 'true' : '' } }),
    (items, container) => container.appendChild(table(columns, items)));
    if (ctx.allowed('operator')) root.appendChild(createForm(accountId, account.kind, () => list.reload()));
    root.append(h('div', { class: 'toolbar' }, h('label', null, archived, ' ', t('ch_include_archived'))), list);
    await list.ready;
  },
};
