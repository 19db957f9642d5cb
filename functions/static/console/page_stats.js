// Channel statistics: new / lost / net per day, conversion by channel, retention at 1/7/30 days per cohort day,
// and the CSV export (the API's channel-stats.csv, every page of channels, saved with a BOM for Excel).
import { addMessages } from './i18n.js';
import { api, chart, downloadCsv, field, h, notice, t, table } from './lib.js';

addMessages({
  st_from: { zh: '开始日期', en: 'From' },
  st_to: { zh: '结束日期', en: 'To' },
  st_group: { zh: '分组', en: 'Group' },
  st_apply: { zh: '查询', en: 'Apply' },
  st_csv: { zh: '导出 CSV', en: 'Export CSV' },
  st_daily: { zh: '每日新增 / 流失 / 净增', en: 'New / lost / net per day' },
  st_new: { zh: '新增', en: 'New' },
  st_lost: { zh: '流失', en: 'Lost' },
  st_net: { zh: '净增', en: 'Net' },
  st_conversion: { zh: '渠道转化', en: 'Conversion by channel' },
  st_scans: { zh: '扫码', en: 'Scans' },
  st_joins: { zh: '新增关注/客户', en: 'Joined' },
  st_rate: { zh: '转化率', en: 'Conversion' },
  st_retention: { zh: '留存（按加入日期）', en: 'Retention by cohort day' },
  st_cohort: { zh: '加入日期', en: 'Cohort day' },
  st_channel: { zh: '渠道', en: 'Channel' },
  st_totals: { zh: '渠道汇总', en: 'Totals by channel' },
  st_truncated: { zh: '渠道较多，仅统计前 {n} 个渠道。', en: 'Many channels: only the first {n} are counted.' },
});

const PAGE = 100; // channels a request (the API's maximum for this report)
const MAX_PAGES = 10;

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function dayList(from, to) {
  const out = [];
  for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) out.push(d);
  return out;
}

const joinsOf = (r) => (r.new_follows || 0) + (r.refollows || 0) + (r.customers_added || 0);
const lostOf = (r) => (r.unfollows || 0) + (r.customers_lost || 0);
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

// Every page of channels of the report (up to MAX_PAGES), merged.
async function loadReport(accountId, query) {
  const merged = { days: [], channels: [], truncated: false };
  let cursor = null;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const answer = await api(`/accounts/${encodeURIComponent(accountId)}/channel-stats`,
      { query: { ...query, limit: PAGE, cursor } });
    Object.assign(merged, { from: answer.from, to: answer.to, today: answer.today });
    merged.days.push(...answer.days);
    merged.channels.push(...answer.channels);
    cursor = answer.next_cursor;
    if (!cursor) return merged;
  }
  merged.truncated = true;
  return merged;
}

// Cohort rows: per day, summed over channels, with the share still there after 1, 7 and 30 days.
export function cohorts(days) {
  const byDay = new Map();
  for (const r of days) {
    const c = byDay.get(r.day) || { day: r.day, joins: 0, d1: null, d7: null, d30: null };
    c.joins += joinsOf(r);
    for (const n of [1, 7, 30]) {
      const still = r[`still_following_d${n}`];
      if (still !== null && still !== undefined) c[`d${n}`] = (c[`d${n}`] || 0) + still;
    }
    byDay.set(r.day, c);
  }
  return [...byDay.values()].filter((c) => c.joins > 0).sort((a, b) => (a.day < b.day ? 1 : -1))
    .map((c) => ({ ...c, r1: c.d1 === null ? null : c.d1 / c.joins, r7: c.d7 === null ? null : c.d7 / c.joins,
      r30: c.d30 === null ? null : c.d30 / c.joins }));
}

async function exportCsv(accountId, query, button) {
  button.disabled = true;
  try {
    let cursor = null;
    let header = null;
    const lines = [];
    for (let i = 0; i < MAX_PAGES; i += 1) {
      const res = await api(`/accounts/${encodeURIComponent(accountId)}/channel-stats.csv`,
        { query: { ...query, limit: PAGE, cursor }, raw: true, headers: { Accept: 'text/csv' } });
      const rows = (await res.text()).split(/\r\n/).filter(Boolean);
      header = header || rows[0];
      lines.push(...rows.slice(1));
      cursor = res.headers.get('X-Next-Cursor');
      if (!cursor) break;
    }
    downloadCsv(`channel-stats-${accountId}.csv`, [header, ...lines].join('\r\n') + '\r\n');
  } finally {
    button.disabled = false;
  }
}

function dailyOption(report) {
  const days = dayList(report.from, report.to);
  const index = new Map(days.map((d, i) => [d, i]));
  const joined = days.map(() => 0);
  const lost = days.map(() => 0);
  for (const r of report.days) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    joined[i] += joinsOf(r);
    lost[i] += lostOf(r);
  }
  return {
    legend: { top: 0, data: [t('st_new'), t('st_lost'), t('st_net')] },
    grid: { left: 40, right: 20, bottom: 30, top: 40 },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('st_new'), type: 'bar', data: joined, itemStyle: { color: '#07c160' } },
      { name: t('st_lost'), type: 'bar', data: lost.map((x) => -x), itemStyle: { color: '#cf222e' } },
      { name: t('st_net'), type: 'line', data: joined.map((x, i) => x - lost[i]), itemStyle: { color: '#0969da' } },
    ],
  };
}

function conversionOption(channels) {
  const rows = channels.filter((c) => (c.scans || 0) + joinsOf(c) > 0);
  return {
    legend: { top: 0, data: [t('st_scans'), t('st_joins'), t('st_rate')] },
    grid: { left: 40, right: 50, bottom: 60, top: 40 },
    xAxis: { type: 'category', data: rows.map((c) => c.name), axisLabel: { rotate: 20, interval: 0 } },
    yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } }],
    series: [
      { name: t('st_scans'), type: 'bar', data: rows.map((c) => c.scans || 0), itemStyle: { color: '#8c959f' } },
      { name: t('st_joins'), type: 'bar', data: rows.map(joinsOf), itemStyle: { color: '#07c160' } },
      { name: t('st_rate'), type: 'line', yAxisIndex: 1,
        data: rows.map((c) => (c.scans ? Math.round((1000 * joinsOf(c)) / c.scans) / 10 : null)) },
    ],
  };
}

export default {
  id: 'stats',
  title: { zh: '渠道统计', en: 'Channel statistics' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const accountId = ctx.account_id;
    const from = h('input', { type: 'date', id: 'st-from', value: ctx.params.from || '' });
    const to = h('input', { type: 'date', id: 'st-to', value: ctx.params.to || '' });
    const group = h('input', { id: 'st-group', value: ctx.params.group || '', maxLength: 32 });
    const query = () => ({ from: from.value, to: to.value, group: group.value });
    const csv = h('button', { type: 'button', class: 'secondary', id: 'st-csv' }, t('st_csv'));
    csv.addEventListener('click', () => exportCsv(accountId, query(), csv).catch((err) => status.replaceChildren(
      notice('error', `${t('error')}: ${err.message}`))));
    const status = h('div');
    const daily = h('div', { class: 'chart', id: 'chart-daily' });
    const conversion = h('div', { class: 'chart', id: 'chart-conversion' });
    const tables = h('div');
    const charts = [];
    async function load() {
      status.replaceChildren();
      const report = await loadReport(accountId, query());
      from.value = report.from;
      to.value = report.to;
      if (report.truncated) status.appendChild(notice('info', t('st_truncated').replace('{n}', PAGE * MAX_PAGES)));
      charts.splice(0).forEach((c) => c.dispose());
      charts.push(await chart(daily, dailyOption(report)), await chart(conversion, conversionOption(report.channels)));
      tables.replaceChildren(
        h('h2', null, t('st_retention')),
        table([
          { key: 'day', label: t('st_cohort') },
          { key: 'joins', label: t('st_joins'), class: 'num' },
          { key: 'r1', label: 'D1', class: 'num', render: (c) => pct(c.r1) },
          { key: 'r7', label: 'D7', class: 'num', render: (c) => pct(c.r7) },
          { key: 'r30', label: 'D30', class: 'num', render: (c) => pct(c.r30) },
        ], cohorts(report.days)),
        h('h2', null, t('st_totals')),
        h('div', { id: 'st-totals' }, table([
          { key: 'name', label: t('st_channel') },
          { key: 'group', label: t('st_group') },
          { key: 'scans', label: t('st_scans'), class: 'num' },
          { key: 'joins', label: t('st_joins'), class: 'num', render: joinsOf },
          { key: 'lost', label: t('st_lost'), class: 'num', render: lostOf },
          { key: 'net', label: t('st_net'), class: 'num', render: (c) => joinsOf(c) - lostOf(c) },
          { key: 'rate', label: t('st_rate'), class: 'num',
            render: (c) => (c.scans ? pct(joinsOf(c) / c.scans) : '—') },
          { key: 'r7', label: 'D7', class: 'num', render: (c) => pct(c.retention_d7) },
        ], report.channels)));
    }
    const apply = h('button', { type: 'submit', class: 'primary', id: 'st-apply' }, t('st_apply'));
    root.append(
      h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load().catch(showError); } },
        field(t('st_from'), from), field(t('st_to'), to), field(t('st_group'), group), apply, csv),
      status,
      h('div', { class: 'charts' },
        h('section', null, h('h2', null, t('st_daily')), daily),
        h('section', null, h('h2', null, t('st_conversion')), conversion)),
      tables);
    function showError(err) { status.replaceChildren(notice('error', `${t('error')}: ${err.message}`)); }
    await load();
  },
};
