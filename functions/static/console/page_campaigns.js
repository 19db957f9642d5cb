// Campaigns (营销活动): the list, creating one with its prizes, uploading coupon codes from a file, the live report
// with charts, and the end-of-campaign lottery: its seed commitment published before the draw and, once the seed
// is revealed, a check in this browser (crypto.subtle) that sha256(seed) is the commitment and, given the
// participant list, that the winners are the N lowest HMAC-SHA256(seed, openid) (scrm/domain/lottery.py).
import { addMessages } from './i18n.js';
import { api, chart, errorBox, escapeHtml, field, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  ca_id: { zh: '活动 ID', en: 'Campaign id' },
  ca_name: { zh: '活动名称', en: 'Name' },
  ca_status: { zh: '状态', en: 'Status' },
  ca_status_draft: { zh: '草稿', en: 'Draft' },
  ca_status_active: { zh: '进行中', en: 'Active' },
  ca_status_paused: { zh: '已暂停', en: 'Paused' },
  ca_status_ended: { zh: '已结束', en: 'Ended' },
  ca_starts: { zh: '开始时间', en: 'Starts' },
  ca_ends: { zh: '结束时间', en: 'Ends' },
  ca_new: { zh: '新建活动', en: 'New campaign' },
  ca_prizes: { zh: '奖品', en: 'Prizes' },
  ca_prize_id: { zh: '奖品 ID', en: 'Prize id' },
  ca_prize_name: { zh: '奖品名称', en: 'Prize name' },
  ca_prize_kind: { zh: '类型', en: 'Kind' },
  ca_kind_coupon: { zh: '优惠券（上传券码）', en: 'Coupon (codes)' },
  ca_kind_physical: { zh: '实物', en: 'Physical' },
  ca_kind_points: { zh: '积分', en: 'Points' },
  ca_kind_thanks: { zh: '谢谢参与', en: 'Thanks' },
  ca_probability: { zh: '中奖概率 (0-1)', en: 'Probability (0-1)' },
  ca_stock: { zh: '库存', en: 'Stock' },
  ca_points: { zh: '积分数', en: 'Points' },
  ca_lottery: { zh: '活动结束后开奖（可选）', en: 'End-of-campaign lottery (optional)' },
  ca_lottery_prize: { zh: '开奖奖品 ID', en: 'Lottery prize id' },
  ca_lottery_winners: { zh: '中奖人数', en: 'Winners' },
  ca_follow_channel: { zh: '关注二维码渠道（未关注的用户在活动页看到它）', en: 'Follow code channel (shown on the page to users who do not follow yet)' },
  ca_follow_none: { zh: '不展示二维码', en: 'No code' },
  ca_created: { zh: '活动已创建', en: 'Campaign created' },
  ca_open: { zh: '查看', en: 'Open' },
  ca_report: { zh: '活动数据', en: 'Report' },
  ca_updated: { zh: '数据更新于 {at}', en: 'Figures as of {at}' },
  ca_updated_live: { zh: '数据更新于 {at}（活动进行中，每 15 秒自动刷新）', en: 'Figures as of {at} (live: refreshed every 15 s)' },
  ca_participants: { zh: '参与人数', en: 'Participants' },
  ca_entries: { zh: '开奖报名', en: 'Lottery entries' },
  ca_draws: { zh: '抽奖次数', en: 'Draws' },
  ca_wins: { zh: '中奖', en: 'Wins' },
  ca_thanks: { zh: '谢谢参与', en: 'Thanks' },
  ca_redeemed: { zh: '已核销', en: 'Redeemed' },
  ca_stock_left: { zh: '剩余库存', en: 'Stock left' },
  ca_issued: { zh: '已发放', en: 'Issued' },
  ca_share_links: { zh: '分享链接', en: 'Share links' },
  ca_views: { zh: '分享浏览', en: 'Share views' },
  ca_onward: { zh: '再次分享', en: 'Onward shares' },
  ca_by_source: { zh: '中奖来源', en: 'Wins by source' },
  ca_src_instant: { zh: '即时抽奖', en: 'Instant draws' },
  ca_src_lottery: { zh: '结束开奖', en: 'Lottery' },
  ca_src_share: { zh: '分享奖励', en: 'Share rewards' },
  ca_codes: { zh: '上传券码', en: 'Upload codes' },
  ca_codes_file: { zh: '券码文件（每行一个，CSV 取第一列，表头行“券码/code”跳过）', en: 'Codes file (one a line; CSV: first column; a header line "code" is skipped)' },
  ca_codes_done: { zh: '已上传：新增 {added}，重复 {duplicates}，库存 {stock}', en: 'Uploaded: {added} added, {duplicates} duplicates, stock {stock}' },
  ca_codes_none: { zh: '文件里没有券码', en: 'The file holds no codes' },
  ca_lottery_title: { zh: '结束开奖与公证', en: 'Lottery and its proof' },
  ca_lot_state: { zh: '开奖状态', en: 'State' },
  ca_commitment: { zh: '种子承诺 sha256(seed)（开奖前公布）', en: 'Seed commitment sha256(seed) (published before the draw)' },
  ca_algorithm: { zh: '算法', en: 'Algorithm' },
  ca_digest: { zh: '参与名单摘要', en: 'Participants digest' },
  ca_count: { zh: '参与人数', en: 'Participants' },
  ca_winners: { zh: '中奖者', en: 'Winners' },
  ca_seed: { zh: '种子（开奖后公布）', en: 'Seed (revealed after the draw)' },
  ca_seed_hidden: { zh: '开奖后公布', en: 'Revealed after the draw' },
  ca_no_lottery: { zh: '这个活动没有结束开奖。', en: 'This campaign has no lottery.' },
  ca_verify: { zh: '验证', en: 'Verify' },
  ca_verify_computed: { zh: '本浏览器计算的 sha256(seed)', en: 'sha256(seed) computed in this browser' },
  ca_verify_ok: { zh: '一致：公布的种子就是开奖前承诺的种子', en: 'Match: the revealed seed is the committed one' },
  ca_verify_bad: { zh: '不一致！', en: 'Mismatch!' },
  ca_verify_list: { zh: '参与名单（每行一个 openid，可选：用于重算中奖者）', en: 'Participant list (one openid a line, optional: recomputes the winners)' },
  ca_verify_digest: { zh: '本浏览器计算的名单摘要', en: 'Participants digest computed here' },
  ca_verify_winners: { zh: '本浏览器计算的中奖者', en: 'Winners computed here' },
  ca_verify_wait: { zh: '种子在开奖后公布，届时可验证。', en: 'The seed is revealed with the result; verify then.' },
  ca_kind: { zh: '活动类型', en: 'Kind' },
  ca_kind_wheel: { zh: '大转盘抽奖', en: 'Lucky wheel' },
  ca_kind_vote: { zh: '投票', en: 'Vote' },
  ca_options: { zh: '投票选项', en: 'Options' },
  ca_option_id: { zh: '选项 ID', en: 'Option id' },
  ca_option_title: { zh: '选项名称', en: 'Title' },
  ca_option_image: { zh: '图片地址（https:// 或 /media/…）', en: 'Image (https:// or /media/…)' },
  ca_votes_per_day: { zh: '每人每天可投票数', en: 'Votes per user per day' },
  ca_one_per_option: { zh: '同一选项每天只能投一票', en: 'One vote per option per day' },
  ca_vote_results: { zh: '投票结果', en: 'Results' },
  ca_votes: { zh: '总票数', en: 'Votes' },
  ca_voters: { zh: '投票人数', en: 'Voters' },
  ca_option_votes: { zh: '票数', en: 'Votes' },
  ca_votes_unit: { zh: '票', en: 'votes' },
  ca_day: { zh: '日期', en: 'Day' },
  ca_new_voters: { zh: '新增投票人', en: 'New voters' },
  ca_votes_by_day: { zh: '每日投票', en: 'Votes per day' },
  ca_no_image: { zh: '无图片', en: 'No image' },
});

const enc = encodeURIComponent;
const KINDS = ['coupon', 'physical', 'points', 'thanks'];
const HEADERS = ['code', 'codes', '券码', '兑换码', 'coupon'];

function fill(text, values) { return text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? '')); }

function figures(rows) {
  return h('dl', { class: 'figures' }, rows.map(([label, value, id]) => h('div', { class: 'figure', 'data-figure': id },
    h('dt', null, label), h('dd', null, value === undefined || value === null ? '–' : String(value)))));
}

// --- the lottery check, with the browser's own crypto (nothing from our server but the published facts)

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = (s) => new TextEncoder().encode(s);

export async function sha256Hex(text) { return hex(await window.crypto.subtle.digest('SHA-256', utf8(text))); }

function byteOrder(a, b) {
  const x = utf8(a); const y = utf8(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// lottery-v1: canonical = unique openids sorted by UTF-8 bytes; winners = the N lowest (HMAC-SHA256(seed, id), id).
export async function recompute(seedHex, participants, n) {
  const canonical = Array.from(new Set(participants)).sort(byteOrder);
  const digest = await sha256Hex(canonical.join('\n'));
  const seed = new Uint8Array(seedHex.match(/../g).map((b) => parseInt(b, 16)));
  const key = await window.crypto.subtle.importKey('raw', seed, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const scored = await Promise.all(canonical.map(async (p) => [hex(await window.crypto.subtle.sign('HMAC', key, utf8(p))), p]));
  scored.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : byteOrder(a[1], b[1])));
  return { digest, winners: scored.slice(0, n).map((s) => s[1]) };
}

function lotteryView(lot) {
  if (!lot) return notice('info', t('ca_no_lottery'));
  const out = h('div', { class: 'card', id: 'lottery' },
    h('h3', null, t('ca_lottery_title')),
    table([{ key: 'k', label: '' }, { key: 'v', label: '', class: 'mono' }], [
      { k: t('ca_lot_state'), v: lot.state },
      { k: t('ca_commitment'), v: h('span', { id: 'lottery-commitment' }, lot.commitment) },
      { k: t('ca_algorithm'), v: lot.algorithm },
      { k: t('ca_count'), v: lot.participants_count },
      { k: t('ca_digest'), v: lot.participants_digest },
      { k: t('ca_winners'), v: (lot.winners || []).join('\n') },
      { k: t('ca_seed'), v: lot.seed || t('ca_seed_hidden') },
    ]));
  if (!lot.seed) { out.appendChild(notice('info', t('ca_verify_wait'))); return out; }
  const list = h('textarea', { id: 'lottery-participants', rows: 4 });
  const result = h('div', { id: 'lottery-verify' });
  const verify = h('button', { type: 'button', class: 'primary', id: 'lottery-verify-run' }, t('ca_verify'));
  verify.addEventListener('click', async () => {
    const computed = await sha256Hex(lot.seed);
    const ok = computed === lot.commitment;
    const rows = [h('p', null, `${t('ca_commitment')}: `, h('span', { class: 'mono' }, lot.commitment)),
      h('p', null, `${t('ca_verify_computed')}: `, h('span', { class: 'mono', id: 'lottery-computed' }, computed)),
      h('p', { class: ok ? 'verify-ok' : 'verify-bad', 'data-verified': String(ok) }, t(ok ? 'ca_verify_ok' : 'ca_verify_bad'))];
    const people = list.value.split('\n').map((s) => s.trim()).filter(Boolean);
    if (people.length) {
      const again = await recompute(lot.seed, people, (lot.winners || []).length);
      const same = again.digest === lot.participants_digest
        && JSON.stringify(again.winners) === JSON.stringify(lot.winners || []);
      rows.push(h('p', null, `${t('ca_verify_digest')}: `, h('span', { class: 'mono' }, again.digest)),
        h('p', null, `${t('ca_verify_winners')}: `, h('span', { class: 'mono' }, again.winners.join(', '))),
        h('p', { class: same ? 'verify-ok' : 'verify-bad', 'data-winners-verified': String(same) },
          t(same ? 'ca_verify_ok' : 'ca_verify_bad')));
    }
    result.replaceChildren(...rows);
  });
  out.append(field(t('ca_verify_list'), list), verify, result);
  return out;
}

// --- coupon codes from a file, in calls of at most 5000 (the route's limit)

// `shown`: the result of the upload that just refreshed the detail (the refresh rebuilds this box, and the user
// must still see what their file did)
function codesUpload(base, prize, onDone, shown) {
  const file = h('input', { type: 'file', accept: '.txt,.csv,text/plain,text/csv', 'data-codes-file': prize.prize_id });
  const said = h('div', null, shown ? notice('ok', shown) : null);
  file.addEventListener('change', async () => {
    const text = file.files[0] ? await file.files[0].text() : '';
    const codes = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.split(',')[0].trim().replace(/^"|"$/g, ''))
      .filter(Boolean);
    if (codes.length && HEADERS.includes(codes[0].toLowerCase())) codes.shift(); // a spreadsheet's header line
    if (!codes.length) { said.replaceChildren(notice('error', t('ca_codes_none'))); return; }
    file.disabled = true;
    try {
      let last = null; let added = 0; let duplicates = 0;
      for (let i = 0; i < codes.length; i += 5000) {
        last = await api(`${base}/prizes/${enc(prize.prize_id)}/codes`, { method: 'POST', body: { codes: codes.slice(i, i + 5000) } });
        added += last.added; duplicates += last.duplicates;
      }
      const done = fill(t('ca_codes_done'), { added, duplicates, stock: last.stock });
      said.replaceChildren(notice('ok', done));
      onDone(done);
    } catch (err) {
      said.replaceChildren(errorBox(err));
    } finally {
      file.disabled = false;
      file.value = '';
    }
  });
  return h('div', { class: 'codes-upload' }, field(`${t('ca_codes')} · ${prize.name}`, file, t('ca_codes_file')), said);
}

async function detail(box, accountId, campaignId, canEdit, uploaded = {}) {
  const base = `/accounts/${enc(accountId)}/campaigns/${enc(campaignId)}`;
  const campaign = await api(base);
  if (campaign.kind === 'vote') { await voteDetail(box, accountId, campaign, canEdit); return; }
  const report = await api(`${base}/report`);
  const byPrize = h('div', { class: 'chart', id: 'campaign-prize-chart' });
  const bySource = h('div', { class: 'chart', id: 'campaign-source-chart' });
  const figuresBox = h('div', { id: 'campaign-figures' });
  const lotteryBox = h('div');
  const live = campaign.status === 'active';
  const updated = h('p', { class: 'muted', id: 'campaign-updated' });
  box.replaceChildren(h('div', { class: 'card', id: 'campaign-detail' },
    h('h2', null, `${t('ca_report')}: ${campaign.name}`),
    figuresBox,
    h('div', { class: 'charts' }, byPrize, bySource),
    canEdit ? (campaign.prizes || []).filter((p) => p.kind === 'coupon')
      .map((p) => codesUpload(base, p, (done) => detail(box, accountId, campaignId, canEdit, { [p.prize_id]: done }),
        uploaded[p.prize_id])) : null,
    lotteryBox,
    updated,
    h('button', { type: 'button', class: 'secondary', id: 'campaign-refresh',
      onclick: () => detail(box, accountId, campaignId, canEdit) }, t('refresh'))));
  const parts = { campaign, figuresBox, lotteryBox, byPrize, bySource, updated, live };
  await showReport(parts, report);
  if (live) keepLive(parts, `${base}/report`);
}

// A live campaign's report refreshes itself (figures, table, charts, lottery; not the upload boxes, so a file
// being chosen is never lost) until the user leaves the page; a hidden tab asks nothing.
const LIVE_EVERY_MS = 15000;

function keepLive(parts, reportPath, show = showReport) {
  const tick = async () => {
    if (!parts.figuresBox.isConnected) return; // the user moved on, or the detail was rebuilt: this loop ends
    if (!document.hidden) {
      try {
        await show(parts, await api(reportPath));
      } catch (err) {
        parts.updated.replaceChildren(errorBox(err)); // the last figures stay; the next tick tries again
      }
    }
    setTimeout(tick, LIVE_EVERY_MS);
  };
  setTimeout(tick, LIVE_EVERY_MS);
}

async function showReport({ campaign, figuresBox, lotteryBox, byPrize, bySource, updated, live }, report) {
  const prizes = report.prizes || [];
  figuresBox.replaceChildren(
    figures([[t('ca_status'), t('ca_status_' + (campaign.status || 'draft')), 'status'],
      [t('ca_participants'), report.participants, 'participants'], [t('ca_draws'), report.draws, 'draws'],
      [t('ca_wins'), report.wins, 'wins'], [t('ca_thanks'), report.thanks, 'thanks'],
      [t('ca_entries'), report.lottery_entries, 'entries'], [t('ca_share_links'), report.shares.links, 'links'],
      [t('ca_views'), report.shares.distinct_views, 'views'], [t('ca_onward'), report.shares.onward_shares, 'onward']]),
    table([{ key: 'name', label: t('ca_prize_name'), render: (p) => p.name || p.prize_id },
      { key: 'kind', label: t('ca_prize_kind'), render: (p) => (p.kind ? t('ca_kind_' + p.kind) : '') },
      { key: 'wins', label: t('ca_wins'), class: 'num' }, { key: 'redeemed', label: t('ca_redeemed'), class: 'num' },
      { key: 'stock', label: t('ca_stock'), class: 'num' }, { key: 'issued', label: t('ca_issued'), class: 'num' },
      { key: 'stock_left', label: t('ca_stock_left'), class: 'num' }], prizes));
  lotteryBox.replaceChildren(lotteryView(report.lottery));
  updated.textContent = fill(t(live ? 'ca_updated_live' : 'ca_updated'), { at: new Date().toLocaleTimeString() });
  const names = prizes.map((p) => p.name || p.prize_id);
  await chart(byPrize, { title: { text: t('ca_prizes'), left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, data: [t('ca_wins'), t('ca_redeemed'), t('ca_stock_left')] },
    xAxis: { type: 'category', data: names }, yAxis: { type: 'value', minInterval: 1 },
    series: [['ca_wins', 'wins'], ['ca_redeemed', 'redeemed'], ['ca_stock_left', 'stock_left']].map(([label, k]) => ({
      name: t(label), type: 'bar', data: prizes.map((p) => p[k] || 0) })) });
  const sources = Object.entries(report.wins_by_source || {});
  await chart(bySource, { title: { text: t('ca_by_source'), left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item', formatter: (p) => `${escapeHtml(p.name)}: ${escapeHtml(p.value)}` },
    series: [{ type: 'pie', radius: ['35%', '65%'],
      data: [...sources.map(([k, v]) => ({ name: t('ca_src_' + k), value: v })), { name: t('ca_thanks'), value: report.thanks || 0 }]
        .filter((d) => d.value > 0) }] });
}

// --- a vote campaign (投票): its options with their pictures, and the live results (GET …/votes: votes per option,
// distinct voters, votes and first-time voters per campaign-local day), refreshed like a wheel's report.

// An option's picture: /media/ paths and https URLs (the console's CSP allows https images); markup never.
function optionImage(o) {
  return o.image ? h('img', { src: o.image, alt: o.title, class: 'option-image', loading: 'lazy' })
    : h('span', { class: 'option-image none' }, t('ca_no_image'));
}

async function voteDetail(box, accountId, campaign, canEdit) {
  const base = `/accounts/${enc(accountId)}/campaigns/${enc(campaign.campaign_id)}`;
  const results = await api(`${base}/votes`);
  const figuresBox = h('div', { id: 'campaign-figures' });
  const optionsBox = h('div', { id: 'vote-options', class: 'vote-options' });
  const byOption = h('div', { class: 'chart', id: 'vote-option-chart' });
  const byDay = h('div', { class: 'chart', id: 'vote-day-chart' });
  const daysBox = h('div', { id: 'vote-days' });
  const live = campaign.status === 'active';
  const updated = h('p', { class: 'muted', id: 'campaign-updated' });
  const voting = campaign.voting || {};
  box.replaceChildren(h('div', { class: 'card', id: 'campaign-detail', 'data-kind': 'vote' },
    h('h2', null, `${t('ca_vote_results')}: ${campaign.name}`),
    figuresBox, optionsBox,
    h('div', { class: 'charts' }, byOption, byDay), daysBox,
    h('p', { class: 'muted' }, `${t('ca_votes_per_day')}: ${voting.votes_per_day ?? 1}`,
      voting.one_per_option ? ` · ${t('ca_one_per_option')}` : ''),
    updated,
    h('button', { type: 'button', class: 'secondary', id: 'campaign-refresh',
      onclick: () => voteDetail(box, accountId, campaign, canEdit) }, t('refresh'))));
  const parts = { campaign, figuresBox, optionsBox, byOption, byDay, daysBox, updated, live };
  await showVotes(parts, results);
  if (live) keepLive(parts, `${base}/votes`, showVotes);
}

async function showVotes({ campaign, figuresBox, optionsBox, byOption, byDay, daysBox, updated, live }, results) {
  const counts = new Map((results.options || []).map((o) => [o.option_id, o.votes]));
  const total = results.votes || 0;
  const share = (n) => (total ? `${((100 * n) / total).toFixed(1)}%` : '–');
  figuresBox.replaceChildren(figures([[t('ca_status'), t('ca_status_' + (campaign.status || 'draft')), 'status'],
    [t('ca_votes'), total, 'votes'], [t('ca_voters'), results.voters, 'voters']]));
  optionsBox.replaceChildren(...(campaign.options || []).map((o) => {
    const n = counts.get(o.option_id) || 0;
    return h('div', { class: 'vote-option', 'data-option': o.option_id }, optionImage(o),
      h('div', { class: 'vote-option-text' }, h('h3', null, o.title),
        o.description ? h('p', { class: 'muted' }, o.description) : null,
        h('div', { class: 'vote-bar' }, h('span', { 'data-share': share(n) })),
        h('p', { class: 'vote-count' }, h('span', { class: 'count' }, String(n)), ` ${t('ca_votes_unit')} · `,
          h('span', { class: 'share' }, share(n)))));
  }));
  // the bars' widths are set as properties (the CSP allows no inline style attribute)
  optionsBox.querySelectorAll('.vote-bar span').forEach((bar) => {
    const n = counts.get(bar.closest('.vote-option').dataset.option) || 0;
    bar.style.width = total ? `${(100 * n) / total}%` : '0';
  });
  const days = results.days || [];
  daysBox.replaceChildren(days.length ? table([{ key: 'day', label: t('ca_day') },
    { key: 'votes', label: t('ca_option_votes'), class: 'num' },
    { key: 'new_voters', label: t('ca_new_voters'), class: 'num' }], days) : null);
  updated.textContent = fill(t(live ? 'ca_updated_live' : 'ca_updated'), { at: new Date().toLocaleTimeString() });
  const options = campaign.options || [];
  await chart(byOption, { title: { text: t('ca_vote_results'), left: 'center', textStyle: { fontSize: 14 } },
    xAxis: { type: 'category', data: options.map((o) => o.title) }, yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: t('ca_option_votes'), type: 'bar', data: options.map((o) => counts.get(o.option_id) || 0) }] });
  await chart(byDay, { title: { text: t('ca_votes_by_day'), left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, data: [t('ca_option_votes'), t('ca_new_voters')] },
    xAxis: { type: 'category', data: days.map((d) => d.day) }, yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: t('ca_option_votes'), type: 'line', data: days.map((d) => d.votes) },
      { name: t('ca_new_voters'), type: 'line', data: days.map((d) => d.new_voters) }] });
}

function optionRow(i) {
  const row = {
    id: h('input', { 'data-option-field': 'option_id', maxLength: 48, pattern: '[a-z0-9_-]{1,48}' }),
    title: h('input', { 'data-option-field': 'title', maxLength: 100 }),
    image: h('input', { 'data-option-field': 'image', maxLength: 500, placeholder: 'https://' }),
  };
  row.el = h('div', { class: 'form-grid option-row', 'data-row': i }, field(t('ca_option_id'), row.id),
    field(t('ca_option_title'), row.title), field(t('ca_option_image'), row.image));
  return row;
}

function prizeRow(i) {
  const row = {
    id: h('input', { 'data-prize': 'prize_id', maxLength: 48, value: i === 0 ? 'p1' : '', pattern: '[a-z0-9_-]{1,48}' }),
    name: h('input', { 'data-prize': 'name', maxLength: 100 }),
    kind: h('select', { 'data-prize': 'kind' }, KINDS.map((k) => h('option', { value: k }, t('ca_kind_' + k)))),
    probability: h('input', { 'data-prize': 'probability', type: 'number', min: 0, max: 1, step: 'any' }),
    stock: h('input', { 'data-prize': 'stock', type: 'number', min: 0 }),
  };
  row.el = h('div', { class: 'form-grid prize-row', 'data-row': i }, field(t('ca_prize_id'), row.id),
    field(t('ca_prize_name'), row.name), field(t('ca_prize_kind'), row.kind),
    field(t('ca_probability'), row.probability), field(t('ca_stock'), row.stock));
  return row;
}

// A datetime-local value read in China time (the campaign's default time zone), as ISO with its offset.
const shanghai = (value) => (value ? `${value.length === 16 ? value + ':00' : value}+08:00` : null);

// The account's OA QR channels (oa_qr), for the follow code: every page of the shared cursor, at most 10 of 200.
async function followChannels(accountId, select) {
  let cursor = null;
  for (let page = 0; page < 10; page += 1) {
    const answer = await api(`/accounts/${enc(accountId)}/channels`, { query: { kind: 'oa_qr', limit: 200, cursor } });
    for (const c of answer.items || []) select.appendChild(h('option', { value: c.channel_id }, c.name || c.channel_id));
    cursor = answer.next_cursor;
    if (!cursor) return;
  }
}

function createForm(base, accountId, onCreated) {
  const id = h('input', { id: 'ca-id', required: true, maxLength: 48, pattern: '[a-z0-9_-]{1,48}' });
  const name = h('input', { id: 'ca-name', required: true, maxLength: 200 });
  const starts = h('input', { id: 'ca-starts', type: 'datetime-local', required: true });
  const ends = h('input', { id: 'ca-ends', type: 'datetime-local', required: true });
  const status = h('select', { id: 'ca-status' }, ['draft', 'active'].map((s) => h('option', { value: s }, t('ca_status_' + s))));
  const rows = [0, 1, 2].map(prizeRow);
  const lotPrize = h('input', { id: 'ca-lottery-prize', maxLength: 48 });
  const lotWinners = h('input', { id: 'ca-lottery-winners', type: 'number', min: 1 });
  const kind = h('select', { id: 'ca-kind' }, ['wheel', 'vote'].map((k) => h('option', { value: k }, t('ca_kind_' + k))));
  const optionRows = [0, 1, 2, 3].map(optionRow);
  const perDay = h('input', { id: 'ca-votes-per-day', type: 'number', min: 1, value: 1 });
  const onePerOption = h('input', { id: 'ca-one-per-option', type: 'checkbox' });
  const prizeBox = h('div', { id: 'ca-prize-box' }, h('h3', null, t('ca_prizes')), rows.map((r) => r.el));
  const voteBox = h('div', { id: 'ca-vote-box', class: 'hidden' }, h('h3', null, t('ca_options')),
    optionRows.map((r) => r.el),
    h('div', { class: 'form-grid' }, field(t('ca_votes_per_day'), perDay),
      h('label', { class: 'check' }, onePerOption, t('ca_one_per_option'))));
  const lotteryBox = h('div', { id: 'ca-lottery-box' }, h('h3', null, t('ca_lottery')),
    h('div', { class: 'form-grid' }, field(t('ca_lottery_prize'), lotPrize), field(t('ca_lottery_winners'), lotWinners)));
  kind.addEventListener('change', () => {
    const vote = kind.value === 'vote';
    voteBox.classList.toggle('hidden', !vote);
    prizeBox.classList.toggle('hidden', vote);
    lotteryBox.classList.toggle('hidden', vote);
  });
  const follow = h('select', { id: 'ca-follow-channel' }, h('option', { value: '' }, t('ca_follow_none')));
  const said = h('div');
  followChannels(accountId, follow).catch((err) => said.replaceChildren(errorBox(err)));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'ca-create' }, t('create'));
  const form = h('form', { class: 'card', id: 'campaign-form', onsubmit: async (e) => {
    e.preventDefault();
    const prizes = rows.filter((r) => r.id.value.trim()).map((r) => {
      const p = { prize_id: r.id.value.trim(), name: r.name.value || r.id.value, kind: r.kind.value,
        probability: Number(r.probability.value || 0) };
      if (r.stock.value !== '' && r.kind.value !== 'coupon') p.stock = Number(r.stock.value);
      if (r.kind.value === 'points') p.points = 1;
      return p;
    });
    const body = { campaign_id: id.value.trim(), name: name.value, starts_at: shanghai(starts.value),
      ends_at: shanghai(ends.value), status: status.value };
    if (kind.value === 'vote') {
      body.kind = 'vote';
      body.options = optionRows.filter((r) => r.id.value.trim()).map((r) => {
        const o = { option_id: r.id.value.trim(), title: r.title.value.trim() || r.id.value.trim() };
        if (r.image.value.trim()) o.image = r.image.value.trim();
        return o;
      });
      body.voting = { votes_per_day: Number(perDay.value || 1), one_per_option: onePerOption.checked };
    } else {
      body.prizes = prizes;
      if (lotPrize.value.trim()) body.lottery = { prize_id: lotPrize.value.trim(), winners: Number(lotWinners.value || 1) };
    }
    if (follow.value) body.eligibility = { must_follow: true, follow_channel: follow.value };
    submit.disabled = true;
    try {
      const campaign = await api(base, { method: 'POST', body });
      form.reset();
      kind.dispatchEvent(new Event('change')); // back to the wheel's fields
      said.replaceChildren(notice('ok', t('ca_created')));
      onCreated(campaign);
    } catch (err) {
      said.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', null, t('ca_new')),
  h('div', { class: 'form-grid' }, field(t('ca_id'), id), field(t('ca_name'), name), field(t('ca_kind'), kind),
    field(t('ca_status'), status), field(t('ca_starts'), starts), field(t('ca_ends'), ends),
    field(t('ca_follow_channel'), follow)),
  prizeBox, voteBox, lotteryBox,
  submit, said);
  return form;
}

export default {
  id: 'campaigns',
  title: { zh: '营销活动', en: 'Campaigns' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}/campaigns`;
    const canEdit = ctx.allowed('operator');
    const box = h('div', { id: 'campaign-box' });
    const show = (cid) => detail(box, ctx.account_id, cid, canEdit).catch((err) => box.replaceChildren(errorBox(err)));
    const columns = [
      { key: 'campaign_id', label: t('ca_id') },
      { key: 'name', label: t('ca_name') },
      { key: 'kind', label: t('ca_kind'), render: (c) => t('ca_kind_' + (c.kind || 'wheel')) },
      { key: 'status', label: t('ca_status'), render: (c) => t('ca_status_' + (c.status || 'draft')) },
      { key: 'starts_at', label: t('ca_starts'), render: (c) => fmtTime(c.starts_at) },
      { key: 'ends_at', label: t('ca_ends'), render: (c) => fmtTime(c.ends_at) },
      { key: 'open', label: '', render: (c) => {
        const b = h('button', { type: 'button', class: 'small secondary', 'data-open': c.campaign_id }, t('ca_open'));
        b.addEventListener('click', () => show(c.campaign_id));
        return b;
      } },
    ];
    const list = pager((cursor) => api(base, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    root.append(box, list);
    if (canEdit) root.appendChild(createForm(base, ctx.account_id, (c) => { list.reload(); show(c.campaign_id); }));
    if (ctx.params && ctx.params.campaign) show(ctx.params.campaign);
    await list.ready;
  },
};
