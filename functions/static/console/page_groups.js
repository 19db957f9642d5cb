// Customer groups (客户群) of a WeCom corp: the groups a page at a time (name, owner, size, status), one group's
// members and its size per day (a line), and the group codes (wecom_group channels: their pool of groups, the cap
// per group, the groups on the code now). Read-only: group codes are made on the channels API / CLI.
import { addMessages } from './i18n.js';
import { api, chart, chinaDay, errorBox, field, fmtTime, h, isWecom, notice, pager, t, table } from './lib.js';

addMessages({
  gr_name: { zh: '群名称', en: 'Name' },
  gr_owner: { zh: '群主', en: 'Owner' },
  gr_size: { zh: '人数', en: 'Members' },
  gr_status: { zh: '状态', en: 'Status' },
  gr_status_active: { zh: '正常', en: 'Active' },
  gr_status_dismissed: { zh: '已解散', en: 'Dismissed' },
  gr_created: { zh: '创建时间', en: 'Created' },
  gr_open: { zh: '查看', en: 'Open' },
  gr_unnamed: { zh: '（未命名）', en: '(no name)' },
  gr_list: { zh: '客户群列表', en: 'Groups' },
  gr_detail: { zh: '群详情', en: 'Group' },
  gr_members: { zh: '群成员', en: 'Members' },
  gr_member: { zh: '成员', en: 'Member' },
  gr_type: { zh: '类型', en: 'Type' },
  gr_type_1: { zh: '员工', en: 'Staff' },
  gr_type_2: { zh: '客户', en: 'Customer' },
  gr_in_group: { zh: '在群', en: 'In group' },
  gr_yes: { zh: '是', en: 'Yes' },
  gr_no: { zh: '已退群', en: 'Left' },
  gr_join_scene: { zh: '入群方式', en: 'Joined by' },
  gr_join_scene_1: { zh: '直接邀请', en: 'Invitation' },
  gr_join_scene_2: { zh: '邀请链接', en: 'Link' },
  gr_join_scene_3: { zh: '扫描群二维码', en: 'Group QR code' },
  gr_join_time: { zh: '入群时间', en: 'Joined' },
  gr_quit_time: { zh: '退群时间', en: 'Left at' },
  gr_channel: { zh: '来源群活码', en: 'Group code' },
  gr_sizes: { zh: '群人数变化', en: 'Size over time' },
  gr_joins: { zh: '入群', en: 'Joins' },
  gr_quits: { zh: '退群', en: 'Quits' },
  gr_from: { zh: '开始日期', en: 'From' },
  gr_to: { zh: '结束日期', en: 'To' },
  gr_apply: { zh: '查询', en: 'Apply' },
  gr_codes: { zh: '群活码', en: 'Group codes' },
  gr_code_name: { zh: '群活码名称', en: 'Name' },
  gr_code_pool: { zh: '群池（个）', en: 'Pool (groups)' },
  gr_code_cap: { zh: '每群人数上限', en: 'Cap per group' },
  gr_code_current: { zh: '当前展示的群', en: 'Groups on the code now' },
  gr_code_status: { zh: '状态', en: 'Status' },
  gr_code_status_active: { zh: '使用中', en: 'Active' },
  gr_code_status_archived: { zh: '已归档', en: 'Archived' },
});

const enc = encodeURIComponent;

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// The API lists the days with a change; a day without one kept the size of the day before, and the size before the
// first change is that day's size less its joins plus its quits.
export function sizeSeries(answer) {
  const byDay = new Map(answer.days.map((d) => [d.day, d]));
  const first = answer.days[0];
  let size = first ? first.size - first.joins + first.quits : answer.size;
  const out = [];
  for (let d = answer.from; d <= answer.to && out.length < 400; d = addDays(d, 1)) {
    const change = byDay.get(d);
    if (change) size = change.size;
    out.push({ day: d, size, joins: change ? change.joins : 0, quits: change ? change.quits : 0 });
  }
  return out;
}

function sizeOption(series) {
  return {
    legend: { top: 0, data: [t('gr_size'), t('gr_joins'), t('gr_quits')] },
    grid: { left: 40, right: 20, bottom: 30, top: 40 },
    xAxis: { type: 'category', data: series.map((d) => d.day.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('gr_size'), type: 'line', data: series.map((d) => d.size), itemStyle: { color: '#0969da' } },
      { name: t('gr_joins'), type: 'bar', data: series.map((d) => d.joins), itemStyle: { color: '#07c160' } },
      { name: t('gr_quits'), type: 'bar', data: series.map((d) => d.quits), itemStyle: { color: '#cf222e' } },
    ],
  };
}

const label = (prefix, value) => {
  if (value === null || value === undefined) return '';
  const key = `${prefix}_${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
};

async function showGroup(box, base, chatId) {
  const group = await api(`${base}/groups/${enc(chatId)}`);
  const from = h('input', { type: 'date', id: 'gr-from', value: chinaDay(-29) });
  const to = h('input', { type: 'date', id: 'gr-to', value: chinaDay(0) });
  const sizeChart = h('div', { class: 'chart', id: 'group-size-chart' });
  const status = h('div');
  async function loadSizes() {
    status.replaceChildren();
    try {
      const answer = await api(`${base}/groups/${enc(chatId)}/sizes`, { query: { from: from.value, to: to.value } });
      await chart(sizeChart, sizeOption(sizeSeries(answer)));
    } catch (err) { status.replaceChildren(errorBox(err)); }
  }
  const members = pager((cursor) => api(`${base}/groups/${enc(chatId)}/members`, { query: { limit: 50, cursor } }),
    (items, container) => container.appendChild(table([
      { key: 'userid', label: t('gr_member') },
      { key: 'type', label: t('gr_type'), render: (m) => label('gr_type', m.type) },
      { key: 'in_group', label: t('gr_in_group'), render: (m) => (m.in_group ? t('gr_yes') : t('gr_no')) },
      { key: 'join_scene', label: t('gr_join_scene'), render: (m) => label('gr_join_scene', m.join_scene) },
      { key: 'join_time', label: t('gr_join_time'), render: (m) => fmtTime(m.join_time) },
      { key: 'quit_time', label: t('gr_quit_time'), render: (m) => fmtTime(m.quit_time) },
      { key: 'channel_id', label: t('gr_channel') },
    ], items)));
  box.replaceChildren(
    h('h2', null, `${t('gr_detail')}：`, h('span', { class: 'gr-title' }, group.name || t('gr_unnamed'))),
    h('p', { class: 'field-hint mono' }, group.chat_id),
    h('h3', null, t('gr_sizes')),
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); loadSizes(); } },
      field(t('gr_from'), from), field(t('gr_to'), to),
      h('button', { type: 'submit', class: 'secondary', id: 'gr-apply' }, t('gr_apply'))),
    status, sizeChart,
    h('h3', null, t('gr_members')), h('div', { id: 'group-members' }, members));
  box.dataset.chatId = chatId;
  await Promise.all([loadSizes(), members.ready]);
}

function codesSection(base) {
  const columns = [
    { key: 'name', label: t('gr_code_name') },
    { key: 'pool', label: t('gr_code_pool'), class: 'num', render: (c) => (c.chat_ids || []).length },
    { key: 'group_cap', label: t('gr_code_cap'), class: 'num' },
    { key: 'in_code', label: t('gr_code_current'),
      render: (c) => h('span', { class: 'mono' }, (c.in_code || []).join(', ')) },
    { key: 'status', label: t('gr_code_status'), render: (c) => label('gr_code_status', c.status) },
  ];
  const list = pager((cursor) => api(`${base}/channels`, { query: { kind: 'wecom_group', limit: 20, cursor } }),
    (items, container) => container.appendChild(table(columns, items)));
  return h('section', { id: 'group-codes' }, h('h2', null, t('gr_codes')), list);
}

export default {
  id: 'groups',
  title: { zh: '客户群', en: 'Customer groups' },
  role: 'viewer',
  available: (ctx) => isWecom(ctx.account_id),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}`;
    const detail = h('section', { id: 'group-detail' });
    const open = (chatId) => showGroup(detail, base, chatId).catch((err) => detail.replaceChildren(errorBox(err)));
    const columns = [
      { key: 'name', label: t('gr_name'), render: (g) => g.name || t('gr_unnamed') },
      { key: 'owner', label: t('gr_owner') },
      { key: 'size', label: t('gr_size'), class: 'num' },
      { key: 'status', label: t('gr_status'), render: (g) => label('gr_status', g.status) },
      { key: 'created_at', label: t('gr_created'), render: (g) => fmtTime(g.created_at) },
      { key: 'open', label: '', render: (g) => h('button', { type: 'button', class: 'small secondary',
        'data-group': g.chat_id, onclick: () => ctx.navigate('groups', { group: g.chat_id }) }, t('gr_open')) },
    ];
    const list = pager((cursor) => api(`${base}/groups`, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    const codes = codesSection(base);
    root.append(h('section', { id: 'group-list' }, h('h2', null, t('gr_list')), list), detail, codes);
    await Promise.all([list.ready, ctx.params.group ? open(ctx.params.group) : null]);
  },
};
