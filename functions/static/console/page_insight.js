// OA insight (公众号数据) of an Official Account: WeChat's own daily statistics (datacube, pulled daily: followers
// gained and lost by source, the total, article readers and sharers) over a date range as a line and a table, with the
// CSV (the API's insight figures.csv, saved with a BOM for Excel); and the follower profiles (the breakdowns by
// language, subscribe scene, tag and subscribe month, the sync from WeChat and its progress, the breakdown CSV).
// WeChat no longer returns gender or region: the page says so where a reader would look for them.
import { addMessages, lang } from './i18n.js';
import { api, chart, chinaDay, downloadCsv, errorBox, field, figures, fmtTime, h, isWecom, notice, t, table }
  from './lib.js';

addMessages({
  in_figures: { zh: '微信统计数据（每日）', en: 'WeChat statistics per day' },
  in_from: { zh: '开始日期', en: 'From' },
  in_to: { zh: '结束日期', en: 'To' },
  in_apply: { zh: '查询', en: 'Apply' },
  in_csv: { zh: '下载 CSV', en: 'Download CSV' },
  in_hint: {
    zh: '数据来自微信公众平台的数据统计接口，每日拉取；最新为昨天的数据。“—”表示该日尚未拉取。',
    en: 'From WeChat\'s statistics (datacube), pulled daily; the newest day is yesterday. "—": not pulled yet.',
  },
  in_chart: { zh: '每日趋势', en: 'Per day' },
  in_days: { zh: '每日明细', en: 'Day by day' },
  in_sources: { zh: '关注来源明细', en: 'By source' },
  in_articles: { zh: '热门文章（所选日期合计）', en: 'Top articles (the range, summed)' },
  in_refusals: { zh: '以下统计接口被微信拒绝（一周后重试）：', en: 'WeChat refused these statistics (asked again in a week):' },
  in_day: { zh: '日期', en: 'Day' },
  in_new_user: { zh: '新关注', en: 'New followers' },
  in_cancel_user: { zh: '取消关注', en: 'Unfollows' },
  in_net_user: { zh: '净增关注', en: 'Net' },
  in_cumulate_user: { zh: '累计关注', en: 'Total followers' },
  in_read_user: { zh: '阅读人数', en: 'Readers' },
  in_share_user: { zh: '分享人数', en: 'Sharers' },
  in_msg_count: { zh: '消息数', en: 'Messages' },
  in_source: { zh: '来源', en: 'Source' },
  in_source_n: { zh: '来源 {n}', en: 'Source {n}' },
  in_msgid: { zh: '文章 msgid', en: 'Article msgid' },
  in_src_0: { zh: '其他合计', en: 'Other' },
  in_src_1: { zh: '公众号搜索', en: 'Search' },
  in_src_17: { zh: '名片分享', en: 'Profile card shared' },
  in_src_30: { zh: '扫描二维码', en: 'QR code scan' },
  in_src_51: { zh: '支付后关注', en: 'After a payment' },
  in_src_57: { zh: '文章内账号名称', en: 'Account name in an article' },
  in_src_100: { zh: '微信广告', en: 'WeChat ads' },
  in_src_149: { zh: '小程序关注', en: 'Mini program' },
  in_src_161: { zh: '他人转载', en: 'Reprinted by others' },
  in_src_200: { zh: '视频号', en: 'Channels' },
  in_src_201: { zh: '直播', en: 'Live stream' },
  fl_title: { zh: '粉丝画像', en: 'Follower profiles' },
  fl_no_gender: {
    zh: '微信已不再返回性别和地区，因此这里没有按性别或地区的分布。',
    en: 'WeChat no longer returns gender or region: there is no breakdown by them.',
  },
  fl_sync: { zh: '同步粉丝', en: 'Sync followers' },
  fl_sync_started: { zh: '已开始同步，完成后自动刷新。', en: 'Sync started: the figures refresh when it is done.' },
  fl_sync_status: { zh: '同步状态', en: 'Sync status' },
  fl_refresh: { zh: '刷新', en: 'Refresh' },
  fl_csv: { zh: '下载画像 CSV', en: 'Download breakdown CSV' },
  fl_phase: { zh: '阶段', en: 'Phase' },
  fl_phase_never: { zh: '从未同步', en: 'Never synced' },
  fl_phase_list: { zh: '拉取粉丝列表中', en: 'Listing followers' },
  fl_phase_sweep: { zh: '标记已取关粉丝中', en: 'Marking unfollowers' },
  fl_phase_done: { zh: '已完成', en: 'Done' },
  fl_listed: { zh: '已列出', en: 'Listed' },
  fl_written: { zh: '已写入', en: 'Written' },
  fl_unfollowed: { zh: '标记取关', en: 'Marked unfollowed' },
  fl_wechat_total: { zh: '微信粉丝总数', en: 'WeChat\'s total' },
  fl_calls: { zh: '微信接口调用', en: 'WeChat calls' },
  fl_started: { zh: '开始时间', en: 'Started' },
  fl_finished: { zh: '完成时间', en: 'Finished' },
  fl_total: { zh: '当前粉丝', en: 'Followers now' },
  fl_synced_at: { zh: '上次完整同步', en: 'Last full sync' },
  fl_by_language: { zh: '按语言', en: 'By language' },
  fl_by_scene: { zh: '按关注来源', en: 'By subscribe scene' },
  fl_by_tag: { zh: '按标签', en: 'By tag' },
  fl_by_month: { zh: '按关注月份', en: 'By subscribe month' },
  fl_language: { zh: '语言', en: 'Language' },
  fl_scene: { zh: '关注来源', en: 'Subscribe scene' },
  fl_tag: { zh: '标签', en: 'Tag' },
  fl_tag_gone: { zh: '（标签已删除）', en: '(tag deleted)' },
  fl_month: { zh: '月份', en: 'Month' },
  fl_count: { zh: '人数', en: 'Followers' },
  fl_code: { zh: '微信代码', en: 'WeChat code' },
  fl_tag_id: { zh: '标签 ID', en: 'Tag id' },
  fl_unknown: { zh: '（未知）', en: '(unknown)' },
  fl_lang_zh_CN: { zh: '简体中文', en: 'Simplified Chinese' },
  fl_lang_zh_TW: { zh: '繁体中文', en: 'Traditional Chinese' },
  fl_lang_zh_HK: { zh: '繁体中文（香港）', en: 'Traditional Chinese (HK)' },
  fl_lang_en: { zh: '英文', en: 'English' },
  fl_scene_ADD_SCENE_SEARCH: { zh: '公众号搜索', en: 'Search' },
  fl_scene_ADD_SCENE_ACCOUNT_MIGRATION: { zh: '公众号迁移', en: 'Account migration' },
  fl_scene_ADD_SCENE_PROFILE_CARD: { zh: '名片分享', en: 'Profile card shared' },
  fl_scene_ADD_SCENE_QR_CODE: { zh: '扫描二维码', en: 'QR code scan' },
  fl_scene_ADD_SCENE_PROFILE_LINK: { zh: '图文页内名称点击', en: 'Name in an article' },
  fl_scene_ADD_SCENE_PROFILE_ITEM: { zh: '图文页右上角菜单', en: 'Article menu' },
  fl_scene_ADD_SCENE_PAID: { zh: '支付后关注', en: 'After a payment' },
  fl_scene_ADD_SCENE_WECHAT_ADVERTISEMENT: { zh: '微信广告', en: 'WeChat ads' },
  fl_scene_ADD_SCENE_REPRINT: { zh: '他人转载', en: 'Reprinted by others' },
  fl_scene_ADD_SCENE_LIVESTREAM: { zh: '视频号直播', en: 'Channels live stream' },
  fl_scene_ADD_SCENE_CHANNELS: { zh: '视频号', en: 'Channels' },
  fl_scene_ADD_SCENE_WXA: { zh: '小程序关注', en: 'Mini program' },
  fl_scene_ADD_SCENE_OTHERS: { zh: '其他', en: 'Other' },
});

const enc = encodeURIComponent;
const CHARTED = ['new_user', 'cancel_user', 'net_user', 'cumulate_user', 'read_user'];
const COLORS = ['#07c160', '#cf222e', '#0969da', '#8250df', '#bf8700'];
const DAY_COLUMNS = ['new_user', 'cancel_user', 'net_user', 'cumulate_user', 'read_user', 'share_user', 'msg_count'];
const TOP_ARTICLES = 20;
const POLL_MS = 3000; // the sync's progress while it runs (the page stops asking once it is left)

const dash = (v) => (v === null || v === undefined ? '—' : v);
// a known code's name from the messages, else the code itself (WeChat adds codes now and then)
const named = (prefix, code, fallback) => (t(prefix + code) === prefix + code ? fallback : t(prefix + code));
export const sourceName = (code) => named('in_src_', code, t('in_source_n').replace('{n}', code));
const sceneName = (scene) => (scene ? named('fl_scene_', scene, scene) : t('fl_unknown'));
const languageName = (code) => (code ? named('fl_lang_', code, code) : t('fl_unknown'));

// The day rows' source figures, one row per day and source (days not pulled have none).
export function sourceRows(days) {
  const out = [];
  for (const d of days) {
    for (const s of d.by_source || []) {
      if (s.new_user || s.cancel_user) out.push({ day: d.day, ...s, net_user: s.new_user - s.cancel_user });
    }
  }
  return out;
}

// The range's articles, read and share figures summed per msgid, most read first.
export function topArticles(days, n = TOP_ARTICLES) {
  const byId = new Map();
  for (const d of days) {
    for (const a of d.articles || []) {
      const sum = byId.get(a.msgid) || { msgid: a.msgid, read_user: 0, share_user: 0 };
      sum.read_user += a.read_user || 0;
      sum.share_user += a.share_user || 0;
      byId.set(a.msgid, sum);
    }
  }
  return [...byId.values()].sort((a, b) => b.read_user - a.read_user || b.share_user - a.share_user
    || (a.msgid < b.msgid ? -1 : 1)).slice(0, n);
}

function figuresOption(days) {
  return {
    legend: { top: 0, data: CHARTED.map((k) => t('in_' + k)) },
    grid: { left: 50, right: 60, bottom: 30, top: 40 },
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
    // the total is of another order than a day's changes: its own axis on the right
    yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', minInterval: 1, splitLine: { show: false } }],
    series: CHARTED.map((k, i) => ({
      name: t('in_' + k), type: 'line', yAxisIndex: k === 'cumulate_user' ? 1 : 0, connectNulls: false,
      data: days.map((d) => (d[k] === undefined ? null : d[k])), itemStyle: { color: COLORS[i] },
    })),
  };
}

function sceneOption(rows) {
  return {
    grid: { left: 140, right: 30, bottom: 30, top: 10 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => sceneName(r.subscribe_scene)) },
    series: [{ name: t('fl_count'), type: 'bar', data: rows.map((r) => r.count), itemStyle: { color: '#07c160' } }],
  };
}

async function csvDownload(path, query, name, button) {
  button.disabled = true;
  try {
    const res = await api(path, { query, raw: true, headers: { Accept: 'text/csv' } });
    downloadCsv(name, await res.text());
  } finally {
    button.disabled = false;
  }
}

function figuresSection(base, ctx) {
  const from = h('input', { type: 'date', id: 'in-from', value: ctx.params.from || chinaDay(-30) });
  const to = h('input', { type: 'date', id: 'in-to', value: ctx.params.to || chinaDay(-1) });
  const query = () => ({ from: from.value, to: to.value });
  const status = h('div', { id: 'in-status' });
  const csv = h('button', { type: 'button', class: 'secondary', id: 'in-csv' }, t('in_csv'));
  csv.addEventListener('click', () => csvDownload(`${base}/insight/figures.csv`, query(),
    `insight-${ctx.account_id}.csv`, csv).catch((err) => status.replaceChildren(errorBox(err))));
  const plot = h('div', { class: 'chart', id: 'insight-chart' });
  const days = h('div', { id: 'in-days' });
  const sources = h('div', { id: 'in-sources' });
  const articles = h('div', { id: 'in-articles' });
  const dayColumns = [
    { key: 'day', label: t('in_day') },
    ...DAY_COLUMNS.map((k) => ({ key: k, label: t('in_' + k), class: 'num', render: (r) => dash(r[k]) })),
  ];
  const sourceColumns = [
    { key: 'day', label: t('in_day') },
    { key: 'user_source', label: t('in_source'), render: (r) => sourceName(r.user_source) },
    { key: 'new_user', label: t('in_new_user'), class: 'num' },
    { key: 'cancel_user', label: t('in_cancel_user'), class: 'num' },
    { key: 'net_user', label: t('in_net_user'), class: 'num' },
  ];
  const articleColumns = [
    { key: 'msgid', label: t('in_msgid'), class: 'mono' },
    { key: 'read_user', label: t('in_read_user'), class: 'num' },
    { key: 'share_user', label: t('in_share_user'), class: 'num' },
  ];
  let charted = null;
  async function load() {
    status.replaceChildren();
    const answer = await api(`${base}/insight/figures`, { query: query() });
    from.value = answer.from;
    to.value = answer.to;
    if (answer.refusals && answer.refusals.length) {
      status.appendChild(h('div', { class: ['notice', 'info'], role: 'status', id: 'in-refusals' },
        t('in_refusals'), h('ul', null, answer.refusals.map((r) => h('li', null,
          `${r.api}: ${r.errcode ?? ''} ${r.errmsg || ''}${r.at ? ` (${fmtTime(r.at)})` : ''}`)))));
    }
    if (charted) charted.dispose();
    charted = await chart(plot, figuresOption(answer.days));
    const newest = [...answer.days].reverse(); // the newest day first, as a reader looks for yesterday
    days.replaceChildren(table(dayColumns, newest));
    sources.replaceChildren(table(sourceColumns, sourceRows(newest)));
    articles.replaceChildren(table(articleColumns, topArticles(answer.days)));
  }
  const section = h('section', { id: 'insight-figures' },
    h('h2', null, t('in_figures')),
    h('p', { class: 'field-hint' }, t('in_hint')),
    h('form', { class: 'toolbar', id: 'in-filter', onsubmit: (e) => {
      e.preventDefault();
      load().catch((err) => status.replaceChildren(errorBox(err)));
    } }, field(t('in_from'), from), field(t('in_to'), to),
    h('button', { type: 'submit', class: 'primary', id: 'in-apply' }, t('in_apply')), csv),
    status,
    h('h3', null, t('in_chart')), plot,
    h('h3', null, t('in_days')), days,
    h('h3', null, t('in_sources')), sources,
    h('h3', null, t('in_articles')), articles);
  return { section, ready: load().catch((err) => status.replaceChildren(errorBox(err))) };
}

function syncFigures(s) {
  const calls = s.calls ? `user/get ${s.calls['user/get']} · user/info/batchget ${s.calls['user/info/batchget']}` : null;
  return figures([
    [t('fl_phase'), t('fl_phase_' + s.phase), 'phase'],
    [t('fl_listed'), s.listed, 'listed'],
    [t('fl_written'), s.written, 'written'],
    [t('fl_unfollowed'), s.unfollowed, 'unfollowed'],
    [t('fl_wechat_total'), s.wechat_total, 'wechat_total'],
    [t('fl_calls'), calls, 'calls'],
    [t('fl_started'), s.started_at ? fmtTime(s.started_at) : null, 'started_at'],
    [t('fl_finished'), s.finished_at ? fmtTime(s.finished_at) : null, 'finished_at'],
  ]);
}

function followersSection(base, ctx) {
  const status = h('div', { id: 'fl-status' });
  const sync = h('div', { id: 'fl-sync' });
  const totals = h('div', { id: 'fl-totals' });
  const plot = h('div', { class: 'chart', id: 'fl-chart' });
  const tables = h('div', { id: 'fl-tables' });
  const notes = h('div', { class: ['notice', 'info'], role: 'note', id: 'fl-note' },
    h('strong', null, t('fl_no_gender')));
  const csv = h('button', { type: 'button', class: 'secondary', id: 'fl-csv' }, t('fl_csv'));
  csv.addEventListener('click', () => csvDownload(`${base}/followers/breakdown.csv`, {},
    `follower-breakdown-${ctx.account_id}.csv`, csv).catch((err) => status.replaceChildren(errorBox(err))));
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'fl-refresh' }, t('fl_refresh'));
  let charted = null;
  let polling = null;

  async function loadBreakdown() {
    const b = await api(`${base}/followers/breakdown`);
    const note = b.notes && (b.notes[lang()] || b.notes.zh);
    notes.replaceChildren(h('strong', null, t('fl_no_gender')), note ? h('p', { class: 'fl-note-api' }, note) : null);
    totals.replaceChildren(figures([
      [t('fl_total'), b.total, 'total'],
      [t('fl_synced_at'), b.synced_at ? fmtTime(b.synced_at) : null, 'synced_at'],
    ]));
    if (charted) charted.dispose();
    charted = await chart(plot, sceneOption(b.by_subscribe_scene));
    tables.replaceChildren(
      h('div', { class: 'charts' },
        h('section', { id: 'fl-by-language' }, h('h3', null, t('fl_by_language')), table([
          { key: 'language', label: t('fl_language'), render: (r) => languageName(r.language) },
          { key: 'code', label: t('fl_code'), class: 'mono', render: (r) => r.language },
          { key: 'count', label: t('fl_count'), class: 'num' },
        ], b.by_language)),
        h('section', { id: 'fl-by-scene' }, h('h3', null, t('fl_by_scene')), table([
          { key: 'subscribe_scene', label: t('fl_scene'), render: (r) => sceneName(r.subscribe_scene) },
          { key: 'code', label: t('fl_code'), class: 'mono', render: (r) => r.subscribe_scene },
          { key: 'count', label: t('fl_count'), class: 'num' },
        ], b.by_subscribe_scene)),
        h('section', { id: 'fl-by-tag' }, h('h3', null, t('fl_by_tag')), table([
          { key: 'name', label: t('fl_tag'), render: (r) => (r.name === null || r.name === undefined
            ? `${r.tag_id}${t('fl_tag_gone')}` : r.name) },
          { key: 'tag_id', label: t('fl_tag_id'), class: 'num' },
          { key: 'count', label: t('fl_count'), class: 'num' },
        ], b.by_tag)),
        h('section', { id: 'fl-by-month' }, h('h3', null, t('fl_by_month')), table([
          { key: 'month', label: t('fl_month'), render: (r) => r.month || t('fl_unknown') },
          { key: 'count', label: t('fl_count'), class: 'num' },
        ], [...b.by_subscribe_month].sort((x, y) => (x.month < y.month ? 1 : -1))))));
  }

  // The sync's progress; while it runs, asked again until it is done, then the breakdown is read again.
  let awaiting = false; // a sync started here or seen running: its end reloads the breakdown
  async function loadSync() {
    clearTimeout(polling);
    const s = await api(`${base}/followers/sync`);
    sync.dataset.phase = s.phase;
    sync.dataset.run = s.run || '';
    sync.replaceChildren(syncFigures(s));
    if (s.phase === 'list' || s.phase === 'sweep') {
      awaiting = true;
      polling = setTimeout(() => {
        if (sync.isConnected) loadSync().catch((err) => status.replaceChildren(errorBox(err))); // not once left
      }, POLL_MS);
    } else if (awaiting) {
      awaiting = false;
      await loadBreakdown();
    }
    return s;
  }

  const load = () => Promise.all([loadSync(), loadBreakdown()]);
  refresh.addEventListener('click', () => {
    status.replaceChildren();
    load().catch((err) => status.replaceChildren(errorBox(err)));
  });
  const tools = [refresh, csv];
  if (ctx.allowed('operator')) {
    const start = h('button', { type: 'button', class: 'primary', id: 'fl-sync-start' }, t('fl_sync'));
    start.addEventListener('click', async () => {
      start.disabled = true;
      status.replaceChildren();
      try {
        await api(`${base}/followers/sync`, { method: 'POST' });
        status.replaceChildren(notice('ok', t('fl_sync_started')));
        awaiting = true;
        await loadSync();
      } catch (err) {
        status.replaceChildren(errorBox(err));
      } finally {
        start.disabled = false;
      }
    });
    tools.unshift(start);
  }
  const section = h('section', { id: 'insight-followers' },
    h('h2', null, t('fl_title')),
    notes,
    h('div', { class: 'toolbar' }, tools),
    status,
    h('h3', null, t('fl_sync_status')), sync,
    totals,
    h('h3', null, t('fl_by_scene')), plot,
    tables);
  return { section, ready: load().catch((err) => status.replaceChildren(errorBox(err))) };
}

export default {
  id: 'insight',
  title: { zh: '公众号数据', en: 'OA insight' },
  role: 'viewer',
  // an Official Account's page: WeCom corps have no datacube statistics or follower list
  available: async (ctx) => Boolean(ctx.account_id) && !(await isWecom(ctx.account_id)),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}`;
    const figuresPart = figuresSection(base, ctx);
    const followersPart = followersSection(base, ctx);
    root.append(figuresPart.section, followersPart.section);
    await Promise.all([figuresPart.ready, followersPart.ready]);
  },
};
