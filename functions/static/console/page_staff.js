// Staff figures (员工数据) of a WeCom corp: what WeCom reports per staff member and China day (联系客户统计 and
// 群聊数据统计 as owner, pulled daily), as a table a page at a time, a line per figure summed over the staff shown,
// and the CSV (the API's staff-figures.csv, every page, saved with a BOM for Excel).
import { addMessages } from './i18n.js';
import { api, chart, chinaDay, downloadCsv, errorBox, field, h, isWecom, notice, pager, t, table } from './lib.js';

addMessages({
  sf_from: { zh: '开始日期', en: 'From' },
  sf_to: { zh: '结束日期', en: 'To' },
  sf_userid: { zh: '员工 userid', en: 'Staff userid' },
  sf_apply: { zh: '查询', en: 'Apply' },
  sf_csv: { zh: '下载 CSV', en: 'Download CSV' },
  sf_chart: { zh: '每日趋势（所选员工合计）', en: 'Per day (the staff shown, summed)' },
  sf_table: { zh: '每人每日明细', en: 'Per staff member and day' },
  sf_truncated: { zh: '数据较多，图表仅统计前 {n} 行。', en: 'Many rows: the chart counts the first {n}.' },
  sf_day: { zh: '日期', en: 'Day' },
  sf_staff: { zh: '员工', en: 'Staff' },
  sf_new_contact_cnt: { zh: '新增客户', en: 'New customers' },
  sf_chat_cnt: { zh: '聊天数', en: 'Chats' },
  sf_message_cnt: { zh: '发送消息数', en: 'Messages sent' },
  sf_reply_percentage: { zh: '已回复聊天占比', en: 'Chats answered' },
  sf_avg_reply_time: { zh: '平均首次回复（分钟）', en: 'First reply (min)' },
  sf_negative_feedback_cnt: { zh: '删除/拉黑员工的客户', en: 'Deleted or blocked by' },
  sf_new_apply_cnt: { zh: '发起申请数', en: 'Friend requests' },
  sf_new_chat_cnt: { zh: '新增客户群', en: 'New groups' },
  sf_chat_total: { zh: '客户群总数', en: 'Groups' },
  sf_member_total: { zh: '群成员总数', en: 'Group members' },
  sf_msg_total: { zh: '群消息数', en: 'Group messages' },
});

const enc = encodeURIComponent;
const CHART_PAGE = 1000; // rows a request (the API's maximum)
const CHART_PAGES = 5;
const CSV_PAGES = 20;
const CHARTED = ['new_contact_cnt', 'chat_cnt', 'message_cnt', 'negative_feedback_cnt'];
const COLORS = ['#07c160', '#0969da', '#8250df', '#cf222e'];
const COLUMNS = ['new_contact_cnt', 'chat_cnt', 'message_cnt', 'reply_percentage', 'avg_reply_time',
  'negative_feedback_cnt', 'new_apply_cnt', 'new_chat_cnt', 'chat_total', 'member_total', 'msg_total'];

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// Per China day of the range, each charted figure summed over the rows.
export function dailyTotals(from, to, rows) {
  const days = [];
  for (let d = from; d <= to && days.length < 400; d = addDays(d, 1)) days.push(d);
  const index = new Map(days.map((d, i) => [d, i]));
  const sums = Object.fromEntries(CHARTED.map((k) => [k, days.map(() => 0)]));
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    for (const k of CHARTED) sums[k][i] += r[k] || 0;
  }
  return { days, sums };
}

function chartOption({ days, sums }) {
  return {
    legend: { top: 0, data: CHARTED.map((k) => t('sf_' + k)) },
    grid: { left: 40, right: 20, bottom: 30, top: 40 },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: CHARTED.map((k, i) => ({ name: t('sf_' + k), type: 'line', data: sums[k], itemStyle: { color: COLORS[i] } })),
  };
}

async function allRows(base, query) {
  const rows = [];
  let cursor = null;
  let answer = null;
  for (let i = 0; i < CHART_PAGES; i += 1) {
    answer = await api(`${base}/staff/figures`, { query: { ...query, limit: CHART_PAGE, cursor } });
    rows.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) return { from: answer.from, to: answer.to, rows, truncated: false };
  }
  return { from: answer.from, to: answer.to, rows, truncated: true };
}

async function exportCsv(base, accountId, query) {
  let cursor = null;
  let header = null;
  const lines = [];
  for (let i = 0; i < CSV_PAGES; i += 1) {
    const res = await api(`${base}/staff/figures.csv`,
      { query: { ...query, cursor }, raw: true, headers: { Accept: 'text/csv' } });
    const rows = (await res.text()).replace(/^\uFEFF/, '').split(/\r\n/).filter(Boolean);
    header = header || rows[0];
    lines.push(...rows.slice(1));
    cursor = res.headers.get('X-Next-Cursor');
    if (!cursor) break;
  }
  downloadCsv(`staff-figures-${accountId}.csv`, [header, ...lines].join('\r\n') + '\r\n');
}

const fmt = (k, v) => {
  if (v === null || v === undefined) return '—';
  return k === 'reply_percentage' ? `${v}%` : v;
};

export default {
  id: 'staff',
  title: { zh: '员工数据', en: 'Staff figures' },
  role: 'viewer',
  available: (ctx) => isWecom(ctx.account_id),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}`;
    const from = h('input', { type: 'date', id: 'sf-from', value: ctx.params.from || chinaDay(-29) });
    const to = h('input', { type: 'date', id: 'sf-to', value: ctx.params.to || chinaDay(0) });
    const userid = h('input', { id: 'sf-userid', value: ctx.params.userid || '', maxLength: 64 });
    const query = () => ({ from: from.value, to: to.value, userid: userid.value.trim() });
    const status = h('div', { id: 'sf-status' });
    // a link to the CSV (its first 1,000 rows with the session cookie); a click saves every page
    const csv = h('a', { id: 'sf-csv', class: 'button-link', href: '#', download: `staff-figures-${ctx.account_id}.csv`,
      onclick: (e) => {
        e.preventDefault();
        exportCsv(base, ctx.account_id, query()).catch((err) => status.replaceChildren(errorBox(err)));
      } }, t('sf_csv'));
    const setLink = () => {
      const q = new URLSearchParams(Object.entries(query()).filter(([, v]) => v));
      csv.setAttribute('href', `${base}/staff/figures.csv?${q}`);
    };
    const plot = h('div', { class: 'chart', id: 'staff-chart' });
    const rows = h('div', { id: 'staff-table' });
    const columns = [
      { key: 'day', label: t('sf_day') },
      { key: 'userid', label: t('sf_staff') },
      ...COLUMNS.map((k) => ({ key: k, label: t('sf_' + k), class: 'num', render: (r) => fmt(k, r[k]) })),
    ];
    let charted = null;
    async function load() {
      status.replaceChildren();
      setLink();
      const q = query();
      const all = await allRows(base, q);
      from.value = all.from;
      to.value = all.to;
      if (all.truncated) status.appendChild(notice('info', t('sf_truncated').replace('{n}', CHART_PAGE * CHART_PAGES)));
      if (charted) charted.dispose();
      charted = await chart(plot, chartOption(dailyTotals(all.from, all.to, all.rows)));
      const list = pager((cursor) => api(`${base}/staff/figures`, { query: { ...q, limit: 50, cursor } }),
        (items, container) => container.appendChild(table(columns, items)));
      rows.replaceChildren(list);
      await list.ready;
    }
    root.append(
      h('form', { class: 'toolbar', id: 'sf-filter', onsubmit: (e) => {
        e.preventDefault();
        load().catch((err) => status.replaceChildren(errorBox(err)));
      } }, field(t('sf_from'), from), field(t('sf_to'), to), field(t('sf_userid'), userid),
      h('button', { type: 'submit', class: 'primary', id: 'sf-apply' }, t('sf_apply')), csv),
      status,
      h('h2', null, t('sf_chart')), plot,
      h('h2', null, t('sf_table')), rows);
    await load();
  },
};
