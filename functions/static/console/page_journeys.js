// Journeys (自动化旅程 / SOP): the account's journeys with their status (paged); a builder (operator) for a draft: its
// trigger (a follow through a channel, a customer added through a contact way, a prize won, a group joined, a tag
// given) with its narrowing, an ordered list of steps (wait, customer-service message within the 48-hour allowance,
// template message, WeCom message, add / remove a tag) and its goal; saved as a draft (POST), changed while a draft
// (PUT), then activated, paused and ended. Per journey: the figures per step as a table and a bar chart, and the
// people in it (paged, at one step if asked). The API's refusals show at the field they name (steps[1].text).
import { addMessages } from './i18n.js';
import { actionButton } from './confirm.js';
import { ApiError, api, chart, errorBox, field, figures, fmtTime, h, idempotencyKey, notice, pager, t, table }
  from './lib.js';

addMessages({
  jo_list: { zh: '旅程列表', en: 'Journeys' },
  jo_name: { zh: '旅程名称', en: 'Name' },
  jo_status: { zh: '状态', en: 'Status' },
  jo_status_draft: { zh: '草稿', en: 'Draft' },
  jo_status_active: { zh: '进行中', en: 'Active' },
  jo_status_paused: { zh: '已暂停', en: 'Paused' },
  jo_status_ended: { zh: '已结束', en: 'Ended' },
  jo_trigger: { zh: '触发条件', en: 'Trigger' },
  jo_trigger_followed: { zh: '关注公众号', en: 'Followed the account' },
  jo_trigger_customer_added: { zh: '添加为企业微信客户', en: 'Became a WeCom customer' },
  jo_trigger_won_prize: { zh: '活动中奖', en: 'Won a campaign prize' },
  jo_trigger_joined_group: { zh: '加入客户群', en: 'Joined a customer group' },
  jo_trigger_tag_added: { zh: '被打上标签', en: 'Got a tag' },
  jo_scene: { zh: '通过渠道（带参二维码）', en: 'Through the channel (QR code)' },
  jo_state: { zh: '通过渠道（联系我）', en: 'Through the channel (contact way)' },
  jo_group_code: { zh: '通过群活码', en: 'Through the group code' },
  jo_chat_id: { zh: '仅此客户群（群 ID，可选）', en: 'Only this group (chat id, optional)' },
  jo_campaign_id: { zh: '仅此活动（活动 ID，可选）', en: 'Only this campaign (campaign id, optional)' },
  jo_trigger_tag_id: { zh: '仅此标签（标签 ID，可选）', en: 'Only this tag (tag id, optional)' },
  jo_any_channel: { zh: '（任意渠道）', en: '(any channel)' },
  jo_via: { zh: '渠道', en: 'via' },
  jo_steps: { zh: '步骤（按顺序执行，每人每步一次）', en: 'Steps (in order, once per person)' },
  jo_steps_n: { zh: '步骤数', en: 'Steps' },
  jo_step_n: { zh: '第 {n} 步', en: 'Step {n}' },
  jo_step_type: { zh: '步骤类型', en: 'Step' },
  jo_type_wait: { zh: '等待', en: 'Wait' },
  jo_type_custom: { zh: '客服消息（48 小时内）', en: 'Customer-service message (within 48 h)' },
  jo_type_template: { zh: '模板消息', en: 'Template message' },
  jo_type_wecom: { zh: '企业微信消息', en: 'WeCom message' },
  jo_type_tag: { zh: '打标签 / 移除标签', en: 'Add / remove a tag' },
  jo_short_wait: { zh: '等待', en: 'Wait' },
  jo_short_custom: { zh: '客服消息', en: 'CS message' },
  jo_short_template: { zh: '模板消息', en: 'Template' },
  jo_short_wecom: { zh: '企业微信消息', en: 'WeCom message' },
  jo_short_tag: { zh: '标签', en: 'Tag' },
  jo_wait_for: { zh: '等待时长', en: 'Wait for' },
  jo_unit: { zh: '单位', en: 'Unit' },
  jo_unit_1: { zh: '秒', en: 'seconds' },
  jo_unit_60: { zh: '分钟', en: 'minutes' },
  jo_unit_3600: { zh: '小时', en: 'hours' },
  jo_unit_86400: { zh: '天', en: 'days' },
  jo_msgtype: { zh: '消息类型', en: 'Message type' },
  jo_msgtype_text: { zh: '文本', en: 'Text' },
  jo_msgtype_image: { zh: '图片', en: 'Image' },
  jo_msgtype_news: { zh: '图文链接', en: 'Link (news)' },
  jo_msgtype_mpnews: { zh: '图文素材', en: 'Published article (mpnews)' },
  jo_msgtype_miniprogrampage: { zh: '小程序卡片', en: 'Mini program card' },
  jo_text: { zh: '消息内容', en: 'Text' },
  jo_media_id: { zh: '素材 media_id', en: 'media_id' },
  jo_title: { zh: '标题', en: 'Title' },
  jo_description: { zh: '摘要（可选）', en: 'Summary (optional)' },
  jo_url: { zh: '链接', en: 'Link' },
  jo_url_optional: { zh: '点击打开的链接（可选）', en: 'Link opened on tap (optional)' },
  jo_picurl: { zh: '图片地址（可选）', en: 'Picture URL (optional)' },
  jo_appid: { zh: '小程序 appid', en: 'Mini program appid' },
  jo_pagepath: { zh: '小程序页面路径', en: 'Page path' },
  jo_thumb: { zh: '封面 media_id', en: 'Cover media_id' },
  jo_template_id: { zh: '模板 ID', en: 'Template id' },
  jo_template_data: { zh: '模板数据（每行 关键词=内容）', en: 'Template data (one key=value a line)' },
  jo_data_line: { zh: '模板数据第 {n} 行应为 关键词=内容', en: 'Template data line {n} should be key=value' },
  jo_tag_id: { zh: '标签 ID', en: 'Tag id' },
  jo_tag_hint_oa: { zh: '公众号用户标签 ID（数字）', en: 'An OA user tag id (a number)' },
  jo_tag_hint_wecom: { zh: '企业客户标签 ID', en: 'A corp tag id' },
  jo_tag_action: { zh: '操作', en: 'Action' },
  jo_tag_add: { zh: '打上标签', en: 'Add the tag' },
  jo_tag_remove: { zh: '移除标签', en: 'Remove the tag' },
  jo_add_step: { zh: '添加步骤', en: 'Add a step' },
  jo_remove_step: { zh: '删除', en: 'Remove' },
  jo_up: { zh: '上移', en: 'Up' },
  jo_down: { zh: '下移', en: 'Down' },
  jo_exits: { zh: '退出条件', en: 'Exits' },
  jo_exit_always_oa: { zh: '取消关注的人自动退出旅程。', en: 'A follower who unfollows leaves the journey.' },
  jo_exit_always_wecom: { zh: '删除员工或被员工删除的客户自动退出旅程。',
    en: 'A customer who deletes the staff member (or is removed) leaves the journey.' },
  jo_goal_tag: { zh: '目标：获得此标签即退出（标签 ID，可选）', en: 'Goal: leave on getting this tag (tag id, optional)' },
  jo_goal_prize: { zh: '目标：中奖即退出', en: 'Goal: leave on winning a prize' },
  jo_goal_prize_campaign: { zh: '仅此活动的奖品（活动 ID，可选）', en: "Only this campaign's prizes (campaign id, optional)" },
  jo_goal: { zh: '目标', en: 'Goal' },
  jo_goal_prize_any: { zh: '中奖', en: 'wins a prize' },
  jo_none: { zh: '无', en: 'None' },
  jo_new: { zh: '新建旅程（草稿）', en: 'New journey (draft)' },
  jo_editing: { zh: '编辑草稿：', en: 'Editing the draft: ' },
  jo_save: { zh: '保存草稿', en: 'Save draft' },
  jo_save_changes: { zh: '保存修改', en: 'Save changes' },
  jo_stop_editing: { zh: '放弃修改', en: 'Discard changes' },
  jo_saved: { zh: '草稿已保存：', en: 'Draft saved: ' },
  jo_open: { zh: '查看', en: 'Open' },
  jo_detail: { zh: '旅程详情', en: 'Journey' },
  jo_created_at: { zh: '创建时间', en: 'Created' },
  jo_updated_at: { zh: '更新时间', en: 'Updated' },
  jo_edit: { zh: '编辑草稿', en: 'Edit the draft' },
  jo_activate: { zh: '启用', en: 'Activate' },
  jo_reactivate: { zh: '恢复', en: 'Resume' },
  jo_pause: { zh: '暂停', en: 'Pause' },
  jo_end: { zh: '结束旅程', en: 'End the journey' },
  jo_end_q: { zh: '结束后不能再启用，仍在旅程中的人将退出。确定结束？',
    en: 'An ended journey cannot be activated again; the people in it leave. End it?' },
  jo_activate_hint: { zh: '启用后步骤不能再修改；此后符合条件的人会进入旅程。',
    en: 'Once activated the steps are fixed; people who meet the trigger enrol from then on.' },
  jo_figures: { zh: '每步数据', en: 'Figures per step' },
  jo_entrants_total: { zh: '进入旅程', en: 'Entered' },
  jo_completed: { zh: '走完全程', en: 'Completed' },
  jo_f_step: { zh: '步骤', en: 'Step' },
  jo_f_entered: { zh: '进入', en: 'Entered' },
  jo_f_done: { zh: '完成', en: 'Done' },
  jo_f_sent: { zh: '已发送', en: 'Sent' },
  jo_f_skipped_quota: { zh: '配额不足跳过', en: 'Skipped (quota)' },
  jo_f_refused: { zh: '被微信拒绝', en: 'Refused' },
  jo_f_unknown: { zh: '结果未知', en: 'Unknown' },
  jo_f_exited: { zh: '退出', en: 'Exited' },
  jo_entrants: { zh: '旅程中的人', en: 'People in the journey' },
  jo_at_step: { zh: '所在步骤', en: 'At step' },
  jo_all_steps: { zh: '全部步骤', en: 'All steps' },
  jo_person: { zh: '粉丝 / 客户', en: 'Person' },
  jo_state_label: { zh: '状态', en: 'State' },
  jo_st_ready: { zh: '等待执行', en: 'Waiting' },
  jo_st_running: { zh: '执行中', en: 'Running' },
  jo_st_done: { zh: '已走完', en: 'Finished' },
  jo_st_exited: { zh: '已退出', en: 'Exited' },
  jo_staff: { zh: '员工', en: 'Staff' },
  jo_outcomes: { zh: '每步结果', en: 'Outcomes' },
  jo_oc_sent: { zh: '已发送', en: 'sent' },
  jo_oc_done: { zh: '完成', en: 'done' },
  jo_oc_skipped_quota: { zh: '配额不足跳过', en: 'skipped (quota)' },
  jo_oc_refused: { zh: '被拒绝', en: 'refused' },
  jo_oc_unknown: { zh: '结果未知', en: 'unknown' },
  jo_exit_reason: { zh: '退出原因', en: 'Exit reason' },
  jo_exit_unfollowed: { zh: '取消关注', en: 'Unfollowed' },
  jo_exit_goal: { zh: '达成目标', en: 'Reached the goal' },
  jo_exit_ended: { zh: '旅程已结束', en: 'The journey ended' },
  jo_exit_deleted: { zh: '删除了员工', en: 'Deleted the staff member' },
  jo_exit_removed: { zh: '被员工删除', en: 'Removed by the staff member' },
});

const enc = encodeURIComponent;
const PLATFORM_TRIGGERS = { oa: ['followed', 'won_prize', 'tag_added'],
  wecom: ['customer_added', 'joined_group', 'tag_added'] };
const PLATFORM_STEPS = { oa: ['wait', 'custom', 'template', 'tag'], wecom: ['wait', 'wecom', 'tag'] };
const CUSTOM_FIELDS = { text: ['text'], image: ['media_id'], mpnews: ['media_id'],
  news: ['title', 'description', 'url', 'picurl'], miniprogrampage: ['title', 'appid', 'pagepath', 'thumb_media_id'] };
const UNITS = [60, 3600, 86400, 1];
const COUNTERS = ['entered', 'done', 'sent', 'skipped_quota', 'refused', 'unknown', 'exited'];
const CHARTED = ['entered', 'sent', 'skipped_quota', 'refused', 'exited'];
const COLORS = ['#0969da', '#07c160', '#bf8700', '#cf222e', '#8250df'];
const EXITS = { unfollowed: 'jo_exit_unfollowed', goal: 'jo_exit_goal', 'journey ended': 'jo_exit_ended',
  'deleted the staff member': 'jo_exit_deleted', 'removed by the staff member': 'jo_exit_removed' };

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
const label = (prefix, value) => (t(prefix + value) === prefix + value ? value : t(prefix + value));
const stepName = (i, type) => `${i + 1}. ${label('jo_short_', type)}`;

// A refusal found before the call (a template data line without "="): shown as the API's are, at its field.
class FormError extends Error {
  constructor(path, message) {
    super(message);
    this.details = { errors: [{ field: path, message }] };
  }
}

// The account's channels of one kind (every page of the shared cursor, at most 10 of 200).
async function channelsOf(accountId, kind) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 10; i += 1) {
    const answer = await api(`/accounts/${enc(accountId)}/channels`, { query: { kind, limit: 200, cursor } });
    out.push(...(answer.items || []));
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return out;
}

// The channels a trigger may narrow to, by kind: followed (oa_qr: its scene), customer_added (wecom_contact_way:
// its state, given as `scene`), joined_group (wecom_group: its channel_id). Read once per render; null if unreadable.
async function loadChannels(accountId, platform) {
  const kinds = platform === 'wecom' ? ['wecom_contact_way', 'wecom_group'] : ['oa_qr'];
  try {
    const lists = await Promise.all(kinds.map((k) => channelsOf(accountId, k)));
    return Object.fromEntries(kinds.map((k, i) => [k, lists[i]]));
  } catch { return null; }
}

// The corp's tags (WeCom) as suggestions for the tag fields; none for an OA (the API has no OA user tag list).
async function loadTags(accountId, platform) {
  if (platform !== 'wecom') return [];
  const out = [];
  let cursor = null;
  try {
    for (let i = 0; i < 10; i += 1) {
      const answer = await api(`/accounts/${enc(accountId)}/tags`, { query: { limit: 100, cursor } });
      out.push(...(answer.items || []));
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
  } catch { return []; }
  return out;
}

function channelName(channels, kind, key, value) {
  const found = ((channels || {})[kind] || []).find((c) => String(c[key]) === String(value));
  return found ? found.name : value;
}

function triggerSummary(trigger, channels) {
  const tr = trigger || {};
  const parts = [label('jo_trigger_', tr.kind)];
  if (tr.scene) {
    parts.push(`${t('jo_via')} ${channelName(channels, tr.kind === 'customer_added' ? 'wecom_contact_way' : 'oa_qr',
      'scene', tr.scene)}`);
  }
  if (tr.state) parts.push(`${t('jo_via')} ${channelName(channels, 'wecom_contact_way', 'scene', tr.state)}`);
  if (tr.channel_id) parts.push(`${t('jo_via')} ${channelName(channels, 'wecom_group', 'channel_id', tr.channel_id)}`);
  for (const k of ['campaign_id', 'chat_id', 'tag_id']) if (tr[k]) parts.push(String(tr[k]));
  return parts.join(' · ');
}

function goalSummary(j) {
  const parts = [];
  if (j.goal_tag_id) parts.push(`${t('jo_tag_id')} ${j.goal_tag_id}`);
  if (j.goal_prize) parts.push(j.goal_prize.campaign_id ? `${t('jo_goal_prize_any')} (${j.goal_prize.campaign_id})`
    : t('jo_goal_prize_any'));
  return parts.length ? parts.join('；') : t('jo_none');
}

function stepSummary(s) {
  if (s.type === 'wait') {
    const unit = UNITS.filter((u) => s.seconds % u === 0).sort((a, b) => b - a)[0] || 1;
    return `${s.seconds / unit} ${t('jo_unit_' + unit)}`;
  }
  if (s.type === 'tag') return `${t(s.remove ? 'jo_tag_remove' : 'jo_tag_add')} ${s.tag_id}`;
  if (s.type === 'template') return s.template_id;
  if (s.type === 'custom') {
    const kind = s.msgtype || 'text';
    return `${label('jo_msgtype_', kind)}: ${s.text || s.title || s.media_id || ''}`;
  }
  return s.text || '';
}

// "first=您好" lines as a template's data ({key: {value}}); a line without "=" is refused at its field.
function templateData(text, path) {
  const out = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf('=');
    if (at < 1) throw new FormError(path, fill(t('jo_data_line'), { n: i + 1 }));
    out[line.slice(0, at).trim()] = { value: line.slice(at + 1).trim() };
  });
  return out;
}

function dataText(data) {
  return Object.entries(data || {}).map(([k, v]) => `${k}=${v && typeof v === 'object' ? v.value ?? '' : v}`)
    .join('\n');
}

// One step of the builder: its type and the fields of that type; every input carries the API's path of its value
// (data-path="steps[2].text"), renumbered when steps move, so a refusal finds its field.
function stepRow(platform, tagList, initial, onRemove, onMove) {
  const s = initial || { type: platform === 'wecom' ? 'wecom' : 'custom' };
  const type = h('select', { name: 'type', class: 'jo-step-type' },
    PLATFORM_STEPS[platform].map((k) => h('option', { value: k, selected: k === s.type }, t('jo_type_' + k))));
  const unit0 = s.seconds ? (UNITS.filter((u) => s.seconds % u === 0).sort((a, b) => b - a)[0] || 1) : 3600;
  const amount = h('input', { name: 'seconds', type: 'number', min: 1, step: 1,
    value: s.seconds ? String(s.seconds / unit0) : '' });
  const unit = h('select', { name: 'unit' }, UNITS.map((u) => h('option', { value: String(u), selected: u === unit0 },
    t('jo_unit_' + u))));
  const msgtype = h('select', { name: 'msgtype' }, Object.keys(CUSTOM_FIELDS).map((k) => h('option',
    { value: k, selected: k === (s.msgtype || 'text') }, t('jo_msgtype_' + k))));
  const input = (name, attrs) => h('input', { name, value: s[name] ?? '', ...attrs });
  const inputs = {
    text: h('textarea', { name: 'text', rows: 3, maxLength: 2000, value: s.text || '' }),
    media_id: input('media_id', { maxLength: 128 }), title: input('title', { maxLength: 64 }),
    description: input('description', { maxLength: 256 }), url: input('url', { maxLength: 1024 }),
    picurl: input('picurl', { maxLength: 1024 }), appid: input('appid', { maxLength: 64 }),
    pagepath: input('pagepath', { maxLength: 256 }), thumb_media_id: input('thumb_media_id', { maxLength: 128 }),
    template_id: input('template_id', { maxLength: 128 }),
    data: h('textarea', { name: 'data', rows: 3, value: dataText(s.data) }),
    tag_id: input('tag_id', { maxLength: 64, list: tagList }),
  };
  const remove = h('select', { name: 'remove' }, h('option', { value: '', selected: !s.remove }, t('jo_tag_add')),
    h('option', { value: '1', selected: !!s.remove }, t('jo_tag_remove')));
  const rows = {
    seconds: field(t('jo_wait_for'), amount), unit: field(t('jo_unit'), unit), msgtype: field(t('jo_msgtype'), msgtype),
    text: field(t('jo_text'), inputs.text), media_id: field(t('jo_media_id'), inputs.media_id),
    title: field(t('jo_title'), inputs.title), description: field(t('jo_description'), inputs.description),
    url: field(t('jo_url'), inputs.url), picurl: field(t('jo_picurl'), inputs.picurl),
    appid: field(t('jo_appid'), inputs.appid), pagepath: field(t('jo_pagepath'), inputs.pagepath),
    thumb_media_id: field(t('jo_thumb'), inputs.thumb_media_id),
    template_id: field(t('jo_template_id'), inputs.template_id), data: field(t('jo_template_data'), inputs.data),
    tag_id: field(t('jo_tag_id'), inputs.tag_id, t(platform === 'wecom' ? 'jo_tag_hint_wecom' : 'jo_tag_hint_oa')),
    remove: field(t('jo_tag_action'), remove),
  };
  const urlLabel = rows.url.querySelector('.field-label');
  const shownFor = () => {
    if (type.value === 'wait') return ['seconds', 'unit'];
    if (type.value === 'custom') return ['msgtype', ...CUSTOM_FIELDS[msgtype.value]];
    if (type.value === 'template') return ['template_id', 'data', 'url'];
    if (type.value === 'wecom') return ['text'];
    return ['tag_id', 'remove'];
  };
  const show = () => {
    const shown = shownFor();
    Object.entries(rows).forEach(([k, el]) => el.classList.toggle('hidden', !shown.includes(k)));
    urlLabel.textContent = t(type.value === 'template' ? 'jo_url_optional' : 'jo_url');
  };
  type.addEventListener('change', show);
  msgtype.addEventListener('change', show);
  show();
  const heading = h('span', { class: 'jo-step-title' });
  const up = h('button', { type: 'button', class: 'small secondary jo-step-up', onclick: () => onMove(row, -1) },
    t('jo_up'));
  const down = h('button', { type: 'button', class: 'small secondary jo-step-down', onclick: () => onMove(row, 1) },
    t('jo_down'));
  const drop = h('button', { type: 'button', class: 'small secondary jo-step-remove', onclick: () => onRemove(row) },
    t('jo_remove_step'));
  const el = h('li', { class: 'journey-step card' },
    h('div', { class: 'toolbar jo-step-head' }, heading, field(t('jo_step_type'), type), up, down, drop),
    h('div', { class: 'form-grid' }, Object.values(rows)));
  const paths = { type, seconds: amount, unit, msgtype, remove, ...inputs }; // (unit: no API field, a handle)
  const row = {
    el,
    number(i, count) {
      heading.textContent = fill(t('jo_step_n'), { n: i + 1 });
      el.dataset.path = `steps[${i}]`;
      el.dataset.step = String(i);
      Object.entries(paths).forEach(([k, node]) => { node.dataset.path = `steps[${i}].${k}`; });
      up.disabled = i === 0;
      down.disabled = i === count - 1;
      drop.disabled = count === 1;
    },
    read() {
      const at = el.dataset.path;
      const out = { type: type.value };
      const text = (k) => inputs[k].value.trim();
      if (type.value === 'wait') {
        if (amount.value.trim() !== '') out.seconds = Number(amount.value) * Number(unit.value);
      } else if (type.value === 'custom') {
        if (msgtype.value !== 'text') out.msgtype = msgtype.value;
        for (const k of CUSTOM_FIELDS[msgtype.value]) {
          const v = k === 'text' ? inputs.text.value : text(k);
          if (v) out[k] = v;
        }
      } else if (type.value === 'template') {
        if (text('template_id')) out.template_id = text('template_id');
        if (inputs.data.value.trim()) out.data = templateData(inputs.data.value, `${at}.data`);
        if (text('url')) out.url = text('url');
      } else if (type.value === 'wecom') {
        if (inputs.text.value) out.text = inputs.text.value;
      } else {
        if (text('tag_id')) out.tag_id = text('tag_id');
        if (remove.value) out.remove = true;
      }
      return out;
    },
  };
  return row;
}

// Marks of a refusal at the fields it names (the deepest element carrying that path, or its nearest parent path).
function clearMarks(form) {
  form.querySelectorAll('.field-error[data-error-for]').forEach((el) => el.remove());
  form.querySelectorAll('[aria-invalid]').forEach((el) => { el.classList.remove('invalid'); el.removeAttribute('aria-invalid'); });
}

function findPath(form, path) {
  let p = path;
  while (p) {
    const el = [...form.querySelectorAll('[data-path]')].find((node) => node.dataset.path === p);
    if (el) return el;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

function markErrors(form, err) {
  const list = err && err.details && Array.isArray(err.details.errors) ? err.details.errors : [];
  for (const e of list) {
    const el = e.field ? findPath(form, e.field) : null;
    if (!el) continue;
    el.classList.add('invalid');
    el.setAttribute('aria-invalid', 'true');
    const say = h('span', { class: 'field-error', role: 'alert', dataset: { errorFor: e.field } },
      `${e.field}: ${e.message || ''}`);
    if (el.tagName === 'LI') el.appendChild(say);
    else el.after(say);
  }
}

function builder(base, platform, channels, tags, onSaved) {
  const tagList = tags.length ? 'jo-tag-list' : null;
  const datalist = tags.length ? h('datalist', { id: 'jo-tag-list' },
    tags.map((tg) => h('option', { value: tg.tag_id }, `${tg.group_name || ''} / ${tg.name}`))) : null;
  const heading = h('h2', { id: 'jo-form-title' }, t('jo_new'));
  const name = h('input', { id: 'jo-name', maxLength: 128, dataset: { path: 'name' } });
  const kinds = PLATFORM_TRIGGERS[platform];
  const kind = h('select', { id: 'jo-trigger-kind', dataset: { path: 'trigger.kind' } },
    kinds.map((k) => h('option', { value: k }, t('jo_trigger_' + k))));
  const channelSelect = (id, path, list, key) => h('select', { id, dataset: { path } },
    h('option', { value: '' }, t('jo_any_channel')),
    (list || []).map((c) => h('option', { value: String(c[key]) }, c.name || c.channel_id)));
  const ch = channels || {};
  const params = {
    scene: platform === 'oa' ? channelSelect('jo-trigger-scene', 'trigger.scene', ch.oa_qr, 'scene')
      : channelSelect('jo-trigger-state', 'trigger.state', ch.wecom_contact_way, 'scene'),
    channel_id: channelSelect('jo-trigger-channel', 'trigger.channel_id', ch.wecom_group, 'channel_id'),
    chat_id: h('input', { id: 'jo-trigger-chat-id', maxLength: 128, dataset: { path: 'trigger.chat_id' } }),
    campaign_id: h('input', { id: 'jo-trigger-campaign-id', maxLength: 64, dataset: { path: 'trigger.campaign_id' } }),
    tag_id: h('input', { id: 'jo-trigger-tag-id', maxLength: 64, list: tagList, dataset: { path: 'trigger.tag_id' } }),
  };
  const paramRows = {
    scene: field(t(platform === 'oa' ? 'jo_scene' : 'jo_state'), params.scene),
    channel_id: field(t('jo_group_code'), params.channel_id), chat_id: field(t('jo_chat_id'), params.chat_id),
    campaign_id: field(t('jo_campaign_id'), params.campaign_id), tag_id: field(t('jo_trigger_tag_id'), params.tag_id),
  };
  const PARAMS = { followed: ['scene'], customer_added: ['scene'], won_prize: ['campaign_id'],
    joined_group: ['channel_id', 'chat_id'], tag_added: ['tag_id'] };
  const showParams = () => Object.entries(paramRows)
    .forEach(([k, el]) => el.classList.toggle('hidden', !PARAMS[kind.value].includes(k)));
  kind.addEventListener('change', showParams);
  showParams();

  const list = h('ol', { id: 'jo-steps', class: 'journey-steps' });
  let rows = [];
  const renumber = () => rows.forEach((r, i) => r.number(i, rows.length));
  const removeRow = (row) => {
    if (rows.length === 1) return;
    rows = rows.filter((r) => r !== row);
    row.el.remove();
    renumber();
  };
  const moveRow = (row, by) => {
    const i = rows.indexOf(row);
    const j = i + by;
    if (j < 0 || j >= rows.length) return;
    rows.splice(i, 1);
    rows.splice(j, 0, row);
    list.replaceChildren(...rows.map((r) => r.el));
    renumber();
  };
  const addRow = (step) => {
    const row = stepRow(platform, tagList, step, removeRow, moveRow);
    rows.push(row);
    list.appendChild(row.el);
    renumber();
  };
  const addStep = h('button', { type: 'button', class: 'secondary', id: 'jo-add-step', onclick: () => addRow() },
    t('jo_add_step'));

  const goalTag = h('input', { id: 'jo-goal-tag', maxLength: 64, list: tagList, dataset: { path: 'goal_tag_id' } });
  const goalPrize = h('input', { type: 'checkbox', id: 'jo-goal-prize', dataset: { path: 'goal_prize' } });
  const goalCampaign = h('input', { id: 'jo-goal-prize-campaign', maxLength: 64,
    dataset: { path: 'goal_prize.campaign_id' } });

  const status = h('div', { id: 'jo-form-status' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'jo-save' }, t('jo_save'));
  const stop = h('button', { type: 'button', class: 'secondary hidden', id: 'jo-stop-editing' }, t('jo_stop_editing'));
  let editing = null; // the journey_id of the draft being changed
  let key = idempotencyKey();

  const setValue = (select, value) => {
    if (value && ![...select.options].some((o) => o.value === String(value))) {
      select.appendChild(h('option', { value: String(value) }, String(value)));
    }
    select.value = value ? String(value) : '';
  };
  const load = (j) => {
    editing = j ? j.journey_id : null;
    clearMarks(form);
    heading.textContent = j ? t('jo_editing') + j.name : t('jo_new');
    submit.textContent = t(j ? 'jo_save_changes' : 'jo_save');
    stop.classList.toggle('hidden', !j);
    form.dataset.editing = editing || '';
    name.value = j ? j.name : '';
    const tr = (j && j.trigger) || { kind: kinds[0] };
    kind.value = kinds.includes(tr.kind) ? tr.kind : kinds[0];
    setValue(params.scene, tr.scene || tr.state);
    setValue(params.channel_id, tr.channel_id);
    for (const k of ['chat_id', 'campaign_id', 'tag_id']) params[k].value = tr[k] || '';
    showParams();
    rows = [];
    list.replaceChildren();
    ((j && j.steps) || [null]).forEach((s) => addRow(s));
    goalTag.value = (j && j.goal_tag_id) || '';
    goalPrize.checked = !!(j && j.goal_prize);
    goalCampaign.value = (j && j.goal_prize && j.goal_prize.campaign_id) || '';
  };
  stop.addEventListener('click', () => { status.replaceChildren(); load(null); });

  const read = () => {
    const trigger = { kind: kind.value };
    for (const k of PARAMS[kind.value]) {
      const v = params[k].value.trim();
      if (v) trigger[k === 'scene' && kind.value === 'customer_added' ? 'state' : k] = v;
    }
    const body = { name: name.value, trigger, steps: rows.map((r) => r.read()) };
    if (goalTag.value.trim()) body.goal_tag_id = goalTag.value.trim();
    if (platform === 'oa' && goalPrize.checked) {
      body.goal_prize = goalCampaign.value.trim() ? { campaign_id: goalCampaign.value.trim() } : {};
    }
    return body;
  };

  const form = h('form', { class: 'card', id: 'journey-form', onsubmit: async (e) => {
    e.preventDefault();
    clearMarks(form);
    status.replaceChildren();
    submit.disabled = true;
    try {
      const body = read();
      const saved = editing
        ? await api(`${base}/${enc(editing)}`, { method: 'PUT', body })
        : await api(base, { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      key = idempotencyKey();
      load(null);
      status.replaceChildren(notice('ok', t('jo_saved') + saved.name));
      onSaved(saved);
    } catch (err) {
      status.replaceChildren(err instanceof FormError ? notice('error', `${t('error')}: ${err.message}`, err.details)
        : errorBox(err));
      if (err instanceof ApiError || err instanceof FormError) markErrors(form, err);
    } finally {
      submit.disabled = false;
    }
  } },
  heading, datalist,
  h('div', { class: 'form-grid' }, field(t('jo_name'), name), field(t('jo_trigger'), kind), Object.values(paramRows)),
  h('h3', null, t('jo_steps')), list, h('div', { class: 'toolbar' }, addStep),
  h('h3', null, t('jo_exits')),
  h('p', { class: 'field-hint' }, t(platform === 'wecom' ? 'jo_exit_always_wecom' : 'jo_exit_always_oa')),
  h('div', { class: 'form-grid' }, field(t('jo_goal_tag'), goalTag),
    platform === 'oa' ? h('label', { class: 'check field' }, goalPrize, t('jo_goal_prize')) : null,
    platform === 'oa' ? field(t('jo_goal_prize_campaign'), goalCampaign) : null),
  status, h('div', { class: 'actions' }, submit, stop));
  load(null);
  form.load = load;
  return form;
}

function figuresTable(f) {
  return table([
    { key: 'step', label: t('jo_f_step'), render: (s) => stepName(s.step, s.type) },
    ...COUNTERS.map((k) => ({ key: k, label: t('jo_f_' + k), class: 'num' })),
  ], f.steps || []);
}

function chartOption(f) {
  const steps = f.steps || [];
  return {
    legend: { top: 0, data: CHARTED.map((k) => t('jo_f_' + k)) },
    grid: { left: 40, right: 20, bottom: 30, top: 40 },
    xAxis: { type: 'category', data: steps.map((s) => stepName(s.step, s.type)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: CHARTED.map((k, i) => ({ name: t('jo_f_' + k), type: 'bar', data: steps.map((s) => s[k] || 0),
      itemStyle: { color: COLORS[i] } })),
  };
}

function outcomesText(j, outcomes) {
  return (outcomes || []).map((o) => {
    const type = (j.steps[o.step] || {}).type;
    const code = o.errcode && !String(o.reason || '').includes(String(o.errcode)) ? `${o.errcode} ` : '';
    const why = o.reason || code ? `（${code}${o.reason || ''}）` : '';
    return `${stepName(o.step, type)}: ${label('jo_oc_', o.outcome)}${why}`;
  }).join('；');
}

function entrantsView(base, j) {
  const stepFilter = h('select', { id: 'jo-entrants-step' }, h('option', { value: '' }, t('jo_all_steps')),
    j.steps.map((s, i) => h('option', { value: String(i) }, stepName(i, s.type))));
  const holder = h('div', { id: 'journey-entrants' });
  const columns = [
    { key: 'person', label: t('jo_person'), render: (e) => h('span', { class: 'mono' }, e.person) },
    { key: 'step', label: t('jo_at_step'), render: (e) => stepName(e.step, (j.steps[e.step] || {}).type) },
    { key: 'state', label: t('jo_state_label'), render: (e) => label('jo_st_', e.state) },
    { key: 'staff', label: t('jo_staff') },
    { key: 'outcomes', label: t('jo_outcomes'), render: (e) => outcomesText(j, e.outcomes) },
    { key: 'exit_reason', label: t('jo_exit_reason'), render: (e) => (e.exit_reason
      ? (EXITS[e.exit_reason] ? t(EXITS[e.exit_reason]) : e.exit_reason) : '') },
  ];
  const load = () => {
    const step = stepFilter.value;
    const list = pager((cursor) => api(`${base}/${enc(j.journey_id)}/entrants`, { query: { limit: 20, cursor, step } }),
      (items, container) => container.appendChild(table(columns, items)));
    holder.replaceChildren(list);
    return list.ready;
  };
  stepFilter.addEventListener('change', () => { load(); });
  return { el: h('div', null, h('div', { class: 'toolbar' }, field(t('jo_at_step'), stepFilter)), holder), load };
}

async function showJourney(box, base, journeyId, ctx, channels, form, onChange) {
  const [j, f] = await Promise.all([api(`${base}/${enc(journeyId)}`), api(`${base}/${enc(journeyId)}/figures`)]);
  const said = h('div', { id: 'journey-said' });
  const refresh = async () => {
    await showJourney(box, base, journeyId, ctx, channels, form, onChange);
    onChange();
  };
  const act = (labelKey, id, path, question) => actionButton(t(labelKey), { id, primary: path === 'activate' },
    question, async () => {
      await api(`${base}/${enc(journeyId)}/${path}`, { method: 'POST' });
      await refresh();
    }, said);
  let tools = null;
  if (ctx.allowed('operator') && j.status !== 'ended') {
    const edit = j.status === 'draft' && form ? h('button', { type: 'button', class: 'secondary', id: 'jo-edit',
      onclick: () => { form.load(j); form.scrollIntoView(); } }, t('jo_edit')) : null;
    tools = h('div', null, h('div', { class: 'actions', id: 'journey-actions' }, edit,
      j.status === 'draft' ? act('jo_activate', 'jo-activate', 'activate') : null,
      j.status === 'paused' ? act('jo_reactivate', 'jo-activate', 'activate') : null,
      j.status === 'active' ? act('jo_pause', 'jo-pause', 'pause') : null,
      act('jo_end', 'jo-end', 'end', t('jo_end_q'))),
    j.status === 'draft' ? h('p', { class: 'field-hint' }, t('jo_activate_hint')) : null);
  }
  const plot = h('div', { class: 'chart', id: 'journey-chart' });
  const entrants = entrantsView(base, j);
  box.dataset.status = j.status;
  box.dataset.journey = j.journey_id;
  box.replaceChildren(...[
    h('h2', null, `${t('jo_detail')}：`, h('span', { class: 'jo-title' }, j.name)),
    figures([[t('jo_status'), t('jo_status_' + j.status), 'status'],
      [t('jo_trigger'), triggerSummary(j.trigger, channels), 'trigger'], [t('jo_goal'), goalSummary(j), 'goal'],
      [t('jo_created_at'), fmtTime(j.created_at), 'created_at'], [t('jo_updated_at'), fmtTime(j.updated_at), 'updated_at']]),
    h('ol', { class: 'journey-summary', id: 'journey-steps' }, j.steps.map((s) => h('li', null,
      h('strong', null, label('jo_short_', s.type)), ' ', stepSummary(s)))),
    tools, said,
    h('h3', null, t('jo_figures')),
    figures([[t('jo_entrants_total'), f.entrants, 'entrants'], [t('jo_completed'), f.completed, 'completed']]),
    h('div', { id: 'journey-figures' }, figuresTable(f)), plot,
    h('h3', null, t('jo_entrants')), entrants.el,
    h('button', { type: 'button', class: 'secondary', id: 'jo-refresh', onclick: () => {
      refresh().catch((err) => said.replaceChildren(errorBox(err)));
    } }, t('refresh')),
  ].filter(Boolean));
  if (box.plotted) box.plotted.dispose(); // the chart of the journey shown before (its resize listener too)
  const [plotted] = await Promise.all([chart(plot, chartOption(f)), entrants.load()]);
  box.plotted = plotted;
}

export default {
  id: 'journeys',
  title: { zh: '自动化旅程 (SOP)', en: 'Journeys' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const accountId = ctx.account_id;
    const base = `/accounts/${enc(accountId)}/journeys`;
    const account = await api(`/accounts/${enc(accountId)}`);
    const platform = account.kind === 'wecom' ? 'wecom' : 'oa';
    const canEdit = ctx.allowed('operator');
    const [channels, tags] = await Promise.all([loadChannels(accountId, platform),
      canEdit ? loadTags(accountId, platform) : []]);
    const detail = h('section', { id: 'journey-detail', class: 'card hidden' });
    let form = null;
    const open = (journeyId) => {
      detail.classList.remove('hidden');
      return showJourney(detail, base, journeyId, ctx, channels, form, () => list.reload())
        .catch((err) => detail.replaceChildren(errorBox(err)));
    };
    const columns = [
      { key: 'name', label: t('jo_name') },
      { key: 'status', label: t('jo_status'), render: (j) => t('jo_status_' + j.status) },
      { key: 'trigger', label: t('jo_trigger'), render: (j) => triggerSummary(j.trigger, channels) },
      { key: 'steps', label: t('jo_steps_n'), class: 'num', render: (j) => (j.steps || []).length },
      { key: 'updated_at', label: t('jo_updated_at'), render: (j) => fmtTime(j.updated_at) },
      { key: 'open', label: '', render: (j) => h('button', { type: 'button', class: 'small secondary',
        dataset: { open: j.journey_id }, onclick: () => open(j.journey_id) }, t('jo_open')) },
    ];
    const list = pager((cursor) => api(base, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    if (canEdit) {
      form = builder(base, platform, channels, tags, (j) => { list.reload(); open(j.journey_id); });
      root.appendChild(form);
    }
    root.append(detail, h('section', { id: 'journey-list' }, h('h2', null, t('jo_list')), list));
    await Promise.all([list.ready, ctx.params.journey ? open(ctx.params.journey) : null]);
  },
};
