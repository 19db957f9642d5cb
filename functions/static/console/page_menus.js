// Custom menus (自定义菜单) of an Official Account: the menu WeChat shows now (and whether it is the version we
// published), drafts made with a structured editor (up to 3 buttons, up to 5 sub-buttons each; the API's refusals
// shown at their fields), publishing one, the published versions with a rollback, deleting the menu, and the menu
// analytics (clicks and unique users per entry and China day, the entries nobody used) as a table and a bar chart.
// Viewers read; operators edit, publish, roll back and delete.
import { addMessages } from './i18n.js';
import { confirmStep } from './confirm.js';
import {
  api, chart, chinaDay, errorBox, field, figures, fmtTime, h, idempotencyKey, isWecom, notice, pager, t, table,
} from './lib.js';

addMessages({
  mn_current: { zh: '当前菜单', en: 'Current menu' },
  mn_version: { zh: '已发布版本', en: 'Published version' },
  mn_published_at: { zh: '发布时间', en: 'Published' },
  mn_menu_open: { zh: '微信菜单', en: 'WeChat menu' },
  mn_open: { zh: '已开启', en: 'On' },
  mn_closed: { zh: '无菜单', en: 'None' },
  mn_matches: { zh: '与已发布版本一致', en: 'Matches the published version' },
  mn_yes: { zh: '是', en: 'Yes' },
  mn_no: { zh: '否', en: 'No' },
  mn_none_published: { zh: '尚未发布菜单（或菜单已删除）。', en: 'No menu is published (or it was deleted).' },
  mn_mismatch: {
    zh: '微信显示的菜单与已发布版本不同（可能在公众平台后台改过）：重新发布或回滚即可恢复。',
    en: 'WeChat shows another menu than the published version (changed in the mp console?): publish or roll back to restore it.',
  },
  mn_wechat_shows: { zh: '微信当前显示的菜单', en: 'What WeChat shows' },
  mn_delete_menu: { zh: '删除菜单', en: 'Delete the menu' },
  mn_delete_menu_confirm: {
    zh: '删除后粉丝将看不到菜单（个性化菜单一并删除），版本记录保留，可回滚恢复。确定吗？',
    en: 'Followers will see no menu (conditional menus go too); versions stay for a rollback. Delete it?',
  },
  mn_deleted_menu: { zh: '菜单已删除。', en: 'The menu was deleted.' },
  mn_editor: { zh: '新建菜单草稿', en: 'New menu draft' },
  mn_editing: { zh: '编辑草稿', en: 'Edit draft' },
  mn_draft_name: { zh: '草稿名称（仅自己可见）', en: 'Draft name (WeChat never sees it)' },
  mn_button_n: { zh: '一级菜单 {n}', en: 'Button {n}' },
  mn_sub_n: { zh: '子菜单 {n}', en: 'Sub-button {n}' },
  mn_name: { zh: '菜单名称', en: 'Name' },
  mn_name_hint_top: { zh: '不超过 16 字节（一个汉字 3 字节）', en: 'At most 16 bytes (a Chinese character is 3)' },
  mn_name_hint_sub: { zh: '不超过 60 字节（一个汉字 3 字节）', en: 'At most 60 bytes (a Chinese character is 3)' },
  mn_type: { zh: '类型', en: 'Type' },
  mn_type_sub: { zh: '包含子菜单', en: 'Has sub-buttons' },
  mn_type_click: { zh: '点击推事件', en: 'Click (event)' },
  mn_type_view: { zh: '跳转网页', en: 'Open a web page' },
  mn_type_miniprogram: { zh: '跳转小程序', en: 'Open a mini program' },
  mn_type_scancode_push: { zh: '扫码推事件', en: 'Scan a code' },
  mn_type_scancode_waitmsg: { zh: '扫码推事件且弹出提示', en: 'Scan a code (wait for a message)' },
  mn_type_pic_sysphoto: { zh: '系统拍照发图', en: 'Take a photo' },
  mn_type_pic_photo_or_album: { zh: '拍照或者相册发图', en: 'Photo or album' },
  mn_type_pic_weixin: { zh: '微信相册发图', en: 'WeChat album' },
  mn_type_location_select: { zh: '发送位置', en: 'Send a location' },
  mn_type_media_id: { zh: '下发素材', en: 'Send a material' },
  mn_type_article_id: { zh: '发布后的图文', en: 'Published article' },
  mn_type_article_view_limited: { zh: '发布后的图文（不可分享）', en: 'Published article (no sharing)' },
  mn_key: { zh: '事件 Key', en: 'Event key' },
  mn_url: { zh: '网页链接', en: 'URL' },
  mn_appid: { zh: '小程序 AppID', en: 'Mini program appid' },
  mn_pagepath: { zh: '小程序页面路径', en: 'Mini program page' },
  mn_media_id: { zh: '素材 media_id', en: 'media_id' },
  mn_article_id: { zh: '图文 article_id', en: 'article_id' },
  mn_add_button: { zh: '添加一级菜单', en: 'Add a button' },
  mn_add_sub: { zh: '添加子菜单', en: 'Add a sub-button' },
  mn_remove: { zh: '移除', en: 'Remove' },
  mn_save: { zh: '保存草稿', en: 'Save the draft' },
  mn_save_changes: { zh: '保存修改', en: 'Save changes' },
  mn_cancel_edit: { zh: '取消编辑', en: 'Stop editing' },
  mn_saved: { zh: '草稿已保存：', en: 'Draft saved: ' },
  mn_refused: { zh: '草稿未保存，请修改标出的字段。', en: 'The draft was not saved: correct the fields marked.' },
  mn_drafts: { zh: '菜单草稿', en: 'Menu drafts' },
  mn_draft_id: { zh: '草稿 ID', en: 'Draft id' },
  mn_entries: { zh: '菜单项', en: 'Entries' },
  mn_updated: { zh: '更新时间', en: 'Updated' },
  mn_actions: { zh: '操作', en: 'Actions' },
  mn_publish: { zh: '发布', en: 'Publish' },
  mn_publish_confirm: { zh: '发布后粉丝立即看到这个菜单，确定吗？', en: 'Followers see this menu at once. Publish it?' },
  mn_published: { zh: '已发布为版本 {n}。', en: 'Published as version {n}.' },
  mn_unchanged: { zh: '这个菜单已是当前菜单（版本 {n}），未重复发送给微信。', en: 'This is the current menu already (version {n}): nothing was sent to WeChat.' },
  mn_edit: { zh: '编辑', en: 'Edit' },
  mn_delete: { zh: '删除', en: 'Delete' },
  mn_delete_draft_confirm: { zh: '删除这个草稿？（已发布的版本保留）', en: 'Delete this draft? (published versions stay)' },
  mn_deleted_draft: { zh: '草稿已删除。', en: 'Draft deleted.' },
  mn_versions: { zh: '发布记录', en: 'Published versions' },
  mn_source: { zh: '来源', en: 'From' },
  mn_from_draft: { zh: '草稿 {id}', en: 'draft {id}' },
  mn_rollback_of: { zh: '回滚自版本 {n}', en: 'rollback to version {n}' },
  mn_digest: { zh: '摘要', en: 'Digest' },
  mn_is_current: { zh: '当前', en: 'current' },
  mn_rollback: { zh: '回滚到此版本', en: 'Roll back to this' },
  mn_rollback_confirm: { zh: '重新发布此版本的菜单（记为新版本），确定吗？', en: 'Publish this version again (as a new version)?' },
  mn_rolled_back: { zh: '已回滚：版本 {v} 的菜单重新发布为版本 {n}。', en: 'Rolled back: version {v} published again as version {n}.' },
  mn_stats: { zh: '菜单数据', en: 'Menu analytics' },
  mn_from: { zh: '开始日期', en: 'From' },
  mn_to: { zh: '结束日期', en: 'To' },
  mn_apply: { zh: '查询', en: 'Apply' },
  mn_stats_range: { zh: '统计区间（北京时间）：{from} 至 {to}', en: 'China days {from} to {to}' },
  mn_entry: { zh: '菜单项', en: 'Entry' },
  mn_kind: { zh: '事件', en: 'Event' },
  mn_kind_click: { zh: '点击', en: 'Click' },
  mn_kind_view: { zh: '跳转', en: 'View' },
  mn_target: { zh: 'Key / 链接', en: 'Key / URL' },
  mn_in_menu: { zh: '在当前菜单中', en: 'In the current menu' },
  mn_not_in_menu: { zh: '（已不在菜单中）', en: '(no longer in the menu)' },
  mn_clicks: { zh: '点击次数', en: 'Clicks' },
  mn_users: { zh: '点击人数', en: 'Users' },
  mn_users_hint: {
    zh: '点击人数为每天去重人数之和；点击次数中微信重试的同一事件只计一次。',
    en: 'Users: the sum of each day\'s unique users; a callback WeChat retried counts once.',
  },
  mn_day: { zh: '日期', en: 'Day' },
  mn_by_day: { zh: '每日明细', en: 'Per day' },
  mn_chart: { zh: '各菜单项点击', en: 'Clicks per entry' },
  mn_unused: { zh: '区间内无人点击的菜单项', en: 'Entries nobody used in the range' },
});

const enc = encodeURIComponent;
const MAX_BUTTONS = 3;
const MAX_SUBS = 5;
const KEY_TYPES = ['click', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin',
  'location_select'];
const TYPES = [...KEY_TYPES.slice(0, 1), 'view', 'miniprogram', ...KEY_TYPES.slice(1), 'media_id', 'article_id',
  'article_view_limited'];
// the fields each type needs (scrm/contracts/menus.py REQUIRED); only these are sent
const NEEDS = { ...Object.fromEntries(KEY_TYPES.map((k) => [k, ['key']])), view: ['url'],
  miniprogram: ['url', 'appid', 'pagepath'], media_id: ['media_id'], article_id: ['article_id'],
  article_view_limited: ['article_id'] };
const ACTION_FIELDS = ['key', 'url', 'appid', 'pagepath', 'media_id', 'article_id'];

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

function blankAction(type = 'click') {
  return { name: '', type, key: '', url: '', appid: '', pagepath: '', media_id: '', article_id: '' };
}

function blankButton() { return { ...blankAction(), subs: [] }; }

// API buttons (a draft's or a version's) -> the editor's model
function toModel(buttons) {
  return (buttons || []).slice(0, MAX_BUTTONS).map((b) => {
    const action = (x, type) => ({ ...blankAction(type), ...Object.fromEntries(
      ['name', ...ACTION_FIELDS].map((k) => [k, x[k] || ''])) });
    if (b.sub_button && b.sub_button.length) {
      return { ...action(b, 'sub'), subs: b.sub_button.slice(0, MAX_SUBS).map((s) => action(s, s.type || 'click')) };
    }
    return { ...action(b, b.type || 'click'), subs: [] };
  });
}

// the editor's model -> the API's MenuBody buttons
function toBody(model) {
  const action = (x) => {
    const out = { name: x.name, type: x.type };
    for (const k of NEEDS[x.type] || []) out[k] = x[k].trim();
    return out;
  };
  return model.map((b) => (b.type === 'sub' ? { name: b.name, sub_button: b.subs.map(action) } : action(b)));
}

// A menu's buttons as a nested list (the names as text), each entry with data-entry = its path (`会员/签到`).
function target(x) {
  if (!x.type) return '';
  const what = x.key || x.url || x.media_id || x.article_id || x.pagepath || '';
  return `${t('mn_type_' + x.type)}${what ? ' · ' + what : ''}`;
}

function menuTree(buttons, id) {
  return h('ul', { class: 'menu-tree', id }, (buttons || []).map((b) => {
    const subs = Array.isArray(b.sub_button) ? b.sub_button : ((b.sub_button && b.sub_button.list) || []);
    return h('li', { 'data-entry': b.name },
      h('strong', null, b.name), subs.length ? null : h('span', { class: 'menu-target' }, ' ', target(b)),
      subs.length ? h('ul', null, subs.map((s) => h('li', { 'data-entry': `${b.name}/${s.name}` },
        h('span', null, s.name), h('span', { class: 'menu-target' }, ' ', target(s))))) : null);
  }));
}

function summary(buttons) {
  return (buttons || []).map((b) => (b.sub_button && b.sub_button.length
    ? `${b.name} (${b.sub_button.map((s) => s.name).join(', ')})` : b.name)).join(' | ');
}

// ---- the structured editor

function editor(base, onSaved) {
  let model = [blankButton()];
  let editing = null; // the draft being edited (PUT), or null: a new draft (POST)
  let key = idempotencyKey();
  let keyFor = null;
  const title = h('h2', null, t('mn_editor'));
  const name = h('input', { id: 'mn-draft-name', maxLength: 64, 'data-path': 'name' });
  const list = h('div', { id: 'mn-buttons', 'data-path': 'button' });
  const status = h('div', { id: 'mn-editor-status' });
  const addButton = h('button', { type: 'button', class: 'secondary', id: 'mn-add-button', onclick: () => {
    if (model.length < MAX_BUTTONS) { model.push(blankButton()); draw(); }
  } }, t('mn_add_button'));
  const submit = h('button', { type: 'submit', class: 'primary', id: 'mn-save' }, t('mn_save'));
  const cancel = h('button', { type: 'button', class: 'secondary hidden', id: 'mn-cancel-edit',
    onclick: () => load(null) }, t('mn_cancel_edit'));

  function input(x, k, id, path, attrs = {}) {
    return h('input', { id, value: x[k], 'data-path': path, oninput: (e) => { x[k] = e.target.value; }, ...attrs });
  }

  function actionFields(x, id, path, top) {
    const type = h('select', { id: `${id}-type`, 'data-path': `${path}.type`, onchange: (e) => {
      x.type = e.target.value;
      if (x.type === 'sub' && !x.subs.length) x.subs.push(blankAction());
      draw();
    } }, [...(top ? ['sub'] : []), ...TYPES].map((v) => h('option', { value: v, selected: v === x.type },
      t('mn_type_' + v))));
    const fields = [
      field(t('mn_name'), input(x, 'name', `${id}-name`, `${path}.name`, { required: true }),
        t(top ? 'mn_name_hint_top' : 'mn_name_hint_sub')),
      field(t('mn_type'), type),
    ];
    for (const k of NEEDS[x.type] || []) {
      fields.push(field(t('mn_' + k), input(x, k, `${id}-${k}`, `${path}.${k}`,
        k === 'url' ? { type: 'url', placeholder: 'https://' } : {})));
    }
    return h('div', { class: 'form-grid' }, fields);
  }

  function draw() {
    const blocks = model.map((b, i) => {
      const id = `mn-b${i}`;
      const path = `button[${i}]`;
      const remove = model.length > 1 ? h('button', { type: 'button', class: 'small secondary', id: `${id}-remove`,
        onclick: () => { model.splice(i, 1); draw(); } }, t('mn_remove')) : null;
      let subs = null;
      if (b.type === 'sub') {
        subs = h('div', { class: 'menu-subs', 'data-path': `${path}.sub_button` }, b.subs.map((s, j) => {
          const sid = `${id}-s${j}`;
          const drop = b.subs.length > 1 ? h('button', { type: 'button', class: 'small secondary',
            id: `${sid}-remove`, onclick: () => { b.subs.splice(j, 1); draw(); } }, t('mn_remove')) : null;
          return h('fieldset', { class: 'menu-sub', id: sid, 'data-path': `${path}.sub_button[${j}]` },
            h('legend', null, fill(t('mn_sub_n'), { n: j + 1 }), ' ', drop),
            actionFields(s, sid, `${path}.sub_button[${j}]`, false));
        }), b.subs.length < MAX_SUBS ? h('button', { type: 'button', class: 'small secondary', id: `${id}-add-sub`,
          onclick: () => { b.subs.push(blankAction()); draw(); } }, t('mn_add_sub')) : null);
      }
      return h('fieldset', { class: 'menu-button', id, 'data-path': path },
        h('legend', null, fill(t('mn_button_n'), { n: i + 1 }), ' ', remove),
        actionFields(b, id, path, true), subs);
    });
    list.replaceChildren(...blocks);
    addButton.disabled = model.length >= MAX_BUTTONS;
  }

  // The API's refusal ({errors: [{field, message}]}) shown at each field: the element whose data-path is the
  // field, else the nearest enclosing one (`button[0].sub_button[7]` -> `button[0].sub_button`).
  function showErrors(err) {
    const errs = err && err.details && Array.isArray(err.details.errors) ? err.details.errors : [];
    const at = new Map([...form.querySelectorAll('[data-path]')].map((el) => [el.dataset.path, el]));
    for (const e of errs) {
      let path = String(e.field || '');
      while (path && !at.has(path)) {
        const up = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
        path = up === path ? '' : up;
      }
      const el = at.get(path || 'button');
      if (!el) continue;
      el.classList.add('invalid');
      el.setAttribute('aria-invalid', 'true');
      const message = h('span', { class: 'field-error', 'data-error-for': e.field || '' },
        path === e.field ? e.message : `${e.field}: ${e.message}`);
      const holder = el.closest('label.field');
      if (holder) holder.appendChild(message);
      else if (el.tagName === 'FIELDSET') el.querySelector('legend').after(message);
      else el.appendChild(message);
    }
  }

  function clearErrors() {
    form.querySelectorAll('.field-error').forEach((el) => el.remove());
    form.querySelectorAll('.invalid').forEach((el) => { el.classList.remove('invalid'); el.removeAttribute('aria-invalid'); });
  }

  function load(draft) {
    editing = draft;
    model = draft ? toModel(draft.button) : [blankButton()];
    if (!model.length) model = [blankButton()];
    name.value = draft ? draft.name || '' : '';
    title.textContent = draft ? `${t('mn_editing')} ${draft.name || draft.draft_id}` : t('mn_editor');
    submit.textContent = draft ? t('mn_save_changes') : t('mn_save');
    cancel.classList.toggle('hidden', !draft);
    status.replaceChildren();
    draw();
  }

  const form = h('form', { class: 'card', id: 'menu-editor', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors();
    status.replaceChildren();
    const body = { button: toBody(model) };
    if (name.value.trim()) body.name = name.value.trim();
    const sent = JSON.stringify(body);
    if (keyFor !== sent) { key = idempotencyKey(); keyFor = sent; } // a retried click of the same draft: one draft
    submit.disabled = true;
    try {
      const draft = editing
        ? await api(`${base}/menu-drafts/${enc(editing.draft_id)}`, { method: 'PUT', body })
        : await api(`${base}/menu-drafts`, { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      keyFor = null;
      load(null);
      status.replaceChildren(notice('ok', t('mn_saved') + (draft.name || draft.draft_id)));
      onSaved(draft);
    } catch (err) {
      if (err.details && Array.isArray(err.details.errors)) {
        showErrors(err);
        status.replaceChildren(notice('error', t('mn_refused')), errorBox(err));
      } else {
        status.replaceChildren(errorBox(err));
      }
    } finally {
      submit.disabled = false;
    }
  } }, title, field(t('mn_draft_name'), name), list, h('div', { class: 'toolbar' }, addButton),
  status, h('div', { class: 'actions' }, submit, cancel));
  draw();
  return { form, load };
}

// ---- the analytics

function entryLabel(e) {
  return e.name || `${e.key || e.url || e.entry_id} ${t('mn_not_in_menu')}`;
}

function statsChartOption(entries, unused) {
  const all = [...entries, ...unused.map((u) => ({ ...u, clicks: 0, user_days: 0 }))];
  return {
    legend: { top: 0, data: [t('mn_clicks'), t('mn_users')] },
    grid: { left: 40, right: 20, bottom: 60, top: 40 },
    xAxis: { type: 'category', data: all.map(entryLabel), axisLabel: { interval: 0, rotate: all.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('mn_clicks'), type: 'bar', data: all.map((e) => e.clicks), itemStyle: { color: '#07c160' } },
      { name: t('mn_users'), type: 'bar', data: all.map((e) => e.user_days), itemStyle: { color: '#0969da' } },
    ],
  };
}

function statsSection(base, params) {
  const from = h('input', { type: 'date', id: 'mn-stats-from', value: params.from || chinaDay(-29) });
  const to = h('input', { type: 'date', id: 'mn-stats-to', value: params.to || chinaDay(0) });
  const status = h('div', { id: 'mn-stats-status' });
  const range = h('p', { class: 'field-hint', id: 'mn-stats-range' });
  const plot = h('div', { class: 'chart', id: 'menu-stats-chart' });
  const totals = h('div', { id: 'menu-stats-table' });
  const days = h('div', { id: 'menu-stats-days' });
  const unusedBox = h('div', { id: 'menu-unused' });
  const kind = (e) => t('mn_kind_' + e.kind);
  const targetOf = (e) => e.key || e.url || '';
  let charted = null;
  async function load() {
    status.replaceChildren();
    const report = await api(`${base}/menu-stats`, { query: { from: from.value, to: to.value } });
    from.value = report.from;
    to.value = report.to;
    range.textContent = fill(t('mn_stats_range'), { from: report.from, to: report.to });
    totals.replaceChildren(table([
      { key: 'name', label: t('mn_entry'), render: entryLabel },
      { key: 'kind', label: t('mn_kind'), render: kind },
      { key: 'target', label: t('mn_target'), render: targetOf, class: 'mono' },
      { key: 'in_current_menu', label: t('mn_in_menu'), render: (e) => t(e.in_current_menu ? 'mn_yes' : 'mn_no') },
      { key: 'clicks', label: t('mn_clicks'), class: 'num' },
      { key: 'user_days', label: t('mn_users'), class: 'num' },
    ], report.entries));
    const perDay = report.entries.flatMap((e) => e.days.map((d) => ({ ...d, entry: entryLabel(e) })))
      .sort((a, b) => (a.day === b.day ? a.entry.localeCompare(b.entry) : (a.day < b.day ? 1 : -1)));
    days.replaceChildren(table([
      { key: 'day', label: t('mn_day') },
      { key: 'entry', label: t('mn_entry') },
      { key: 'clicks', label: t('mn_clicks'), class: 'num' },
      { key: 'unique_users', label: t('mn_users'), class: 'num' },
    ], perDay));
    unusedBox.replaceChildren(table([
      { key: 'name', label: t('mn_entry') },
      { key: 'kind', label: t('mn_kind'), render: kind },
      { key: 'target', label: t('mn_target'), render: targetOf, class: 'mono' },
    ], report.unused));
    if (charted) charted.dispose();
    charted = await chart(plot, statsChartOption(report.entries, report.unused));
  }
  const run = () => load().catch((err) => status.replaceChildren(errorBox(err)));
  const section = h('section', { id: 'menu-stats' },
    h('h2', null, t('mn_stats')),
    h('form', { class: 'toolbar', id: 'mn-stats-filter', onsubmit: (e) => { e.preventDefault(); run(); } },
      field(t('mn_from'), from), field(t('mn_to'), to),
      h('button', { type: 'submit', class: 'primary', id: 'mn-stats-apply' }, t('mn_apply'))),
    status, range, h('h3', null, t('mn_chart')), plot, totals, h('p', { class: 'field-hint' }, t('mn_users_hint')),
    h('h3', null, t('mn_unused')), unusedBox, h('h3', null, t('mn_by_day')), days);
  return { section, run };
}

// ---- the page

export default {
  id: 'menus',
  title: { zh: '自定义菜单', en: 'Custom menus' },
  role: 'viewer',
  // Official Accounts only (a WeCom corp has no custom menu here)
  available: async (ctx) => Boolean(ctx.account_id) && !(await isWecom(ctx.account_id)),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}`;
    const canEdit = ctx.allowed('operator');
    const state = { version: null };

    // the current menu
    const current = h('div', { id: 'menu-current-body' });
    const currentStatus = h('div', { id: 'mn-current-status' });
    async function loadCurrent() {
      const answer = await api(`${base}/menu/current`);
      const published = answer.published;
      const wechat = answer.wechat || {};
      const shown = (wechat.selfmenu_info && wechat.selfmenu_info.button) || [];
      state.version = published ? published.version : null;
      const parts = [figures([
        [t('mn_version'), published ? published.version : null, 'version'],
        [t('mn_published_at'), published ? fmtTime(published.published_at) : null, 'published_at'],
        [t('mn_menu_open'), t(wechat.is_menu_open ? 'mn_open' : 'mn_closed'), 'menu_open'],
        [t('mn_matches'), t(answer.matches_published ? 'mn_yes' : 'mn_no'), 'matches'],
      ])];
      if (published) parts.push(menuTree(published.button, 'menu-current-tree'));
      else parts.push(notice('info', t('mn_none_published')));
      if (!answer.matches_published) {
        parts.push(notice('error', t('mn_mismatch')));
        if (shown.length) parts.push(h('h3', null, t('mn_wechat_shows')), menuTree(shown, 'menu-wechat-tree'));
      }
      if (canEdit && (published || wechat.is_menu_open)) {
        const del = h('button', { type: 'button', class: 'secondary', id: 'menu-delete' }, t('mn_delete_menu'));
        parts.push(h('div', { class: 'toolbar' }, confirmStep(del, t('mn_delete_menu_confirm'), async () => {
          currentStatus.replaceChildren();
          del.disabled = true;
          try {
            await api(`${base}/menu`, { method: 'DELETE' });
            await refreshMenu();
            currentStatus.replaceChildren(notice('ok', t('mn_deleted_menu')));
          } catch (err) {
            currentStatus.replaceChildren(errorBox(err));
            del.disabled = false;
          }
        })));
      }
      current.replaceChildren(...parts);
    }

    // drafts
    const drafts = h('div', { id: 'menu-drafts' });
    const draftsStatus = h('div', { id: 'mn-drafts-status' });
    const edit = canEdit ? editor(base, () => loadDrafts().catch((err) => draftsStatus.replaceChildren(errorBox(err))))
      : null;
    async function publish(draft, button) {
      draftsStatus.replaceChildren();
      button.disabled = true;
      try {
        const done = await api(`${base}/menu/publish`, { method: 'POST', body: { draft_id: draft.draft_id } });
        await refreshMenu();
        draftsStatus.replaceChildren(notice('ok', fill(t(done.unchanged ? 'mn_unchanged' : 'mn_published'),
          { n: done.version })));
      } catch (err) {
        draftsStatus.replaceChildren(errorBox(err));
      } finally {
        button.disabled = false;
      }
    }
    async function loadDrafts() {
      const answer = await api(`${base}/menu-drafts`);
      const items = (answer.items || []).slice()
        .sort((a, b) => String(b.updated_at || b.created_at || '').localeCompare(String(a.updated_at || a.created_at || '')));
      const columns = [
        { key: 'name', label: t('mn_draft_name'), render: (d) => d.name || '' },
        { key: 'draft_id', label: t('mn_draft_id'), class: 'mono' },
        { key: 'button', label: t('mn_entries'), render: (d) => summary(d.button) },
        { key: 'updated_at', label: t('mn_updated'), render: (d) => fmtTime(d.updated_at || d.created_at) },
      ];
      if (canEdit) {
        columns.push({ key: 'actions', label: t('mn_actions'), render: (d) => {
          const pub = h('button', { type: 'button', class: 'small primary', id: `mn-publish-${d.draft_id}`,
            'data-publish': d.draft_id }, t('mn_publish'));
          confirmStep(pub, t('mn_publish_confirm'), () => publish(d, pub));
          const change = h('button', { type: 'button', class: 'small secondary', 'data-edit': d.draft_id,
            onclick: () => { edit.load(d); edit.form.scrollIntoView(); } }, t('mn_edit'));
          const del = h('button', { type: 'button', class: 'small secondary', id: `mn-delete-${d.draft_id}`,
            'data-delete-draft': d.draft_id }, t('mn_delete'));
          confirmStep(del, t('mn_delete_draft_confirm'), async () => {
            try {
              await api(`${base}/menu-drafts/${enc(d.draft_id)}`, { method: 'DELETE' });
              draftsStatus.replaceChildren(notice('ok', t('mn_deleted_draft')));
              await loadDrafts();
            } catch (err) {
              draftsStatus.replaceChildren(errorBox(err));
            }
          });
          return h('div', { class: 'actions' }, pub, change, del);
        } });
      }
      drafts.replaceChildren(table(columns, items));
    }

    // versions
    const versionsStatus = h('div', { id: 'mn-versions-status' });
    const versionColumns = [
      { key: 'version', label: t('mn_version'), class: 'num', render: (v) => (v.version === state.version
        ? h('span', null, String(v.version), ' ', h('span', { class: 'role' }, t('mn_is_current'))) : String(v.version)) },
      { key: 'published_at', label: t('mn_published_at'), render: (v) => fmtTime(v.published_at) },
      { key: 'source', label: t('mn_source'), render: (v) => (v.rollback_of ? fill(t('mn_rollback_of'), { n: v.rollback_of })
        : (v.draft_id ? fill(t('mn_from_draft'), { id: v.draft_id }) : '')) },
      { key: 'button', label: t('mn_entries'), render: (v) => summary(v.button) },
      { key: 'digest', label: t('mn_digest'), class: 'mono', render: (v) => String(v.digest || '').slice(0, 12) },
    ];
    if (canEdit) {
      versionColumns.push({ key: 'actions', label: t('mn_actions'), render: (v) => {
        const back = h('button', { type: 'button', class: 'small secondary', id: `mn-rollback-${v.version}`,
          'data-rollback': v.version }, t('mn_rollback'));
        return h('span', null, confirmStep(back, t('mn_rollback_confirm'), async () => {
          versionsStatus.replaceChildren();
          back.disabled = true;
          try {
            const done = await api(`${base}/menu/versions/${v.version}/rollback`, { method: 'POST' });
            await refreshMenu();
            versionsStatus.replaceChildren(notice('ok', fill(t(done.unchanged ? 'mn_unchanged' : 'mn_rolled_back'),
              { v: v.version, n: done.version })));
          } catch (err) {
            versionsStatus.replaceChildren(errorBox(err));
            back.disabled = false;
          }
        }));
      } });
    }
    // the pager starts loading when made: made once the current version is known (to mark its row)
    const versionsBox = h('div', { id: 'menu-versions' });
    let versions = null;
    const makeVersions = () => pager((cursor) => api(`${base}/menu/versions`, { query: { limit: 20, cursor } }),
      (items, container) => {
        const shown = table(versionColumns, items);
        // each row says its version (a test or a reader finds "version 3" without parsing the cell)
        shown.querySelectorAll('tbody tr').forEach((tr, i) => {
          if (items[i]) {
            tr.dataset.version = String(items[i].version);
            if (items[i].version === state.version) tr.dataset.current = 'true';
          }
        });
        container.appendChild(shown);
      });

    const stats = statsSection(base, ctx.params || {});

    async function refreshMenu() {
      currentStatus.replaceChildren();
      await loadCurrent().catch((err) => current.replaceChildren(errorBox(err)));
      if (versions) await versions.reload();
    }

    root.append(
      h('section', { id: 'menu-current' }, h('h2', null, t('mn_current')), currentStatus, current),
      edit ? edit.form : null,
      h('section', { id: 'menu-drafts-section' }, h('h2', null, t('mn_drafts')), draftsStatus, drafts),
      h('section', { id: 'menu-versions-section' }, h('h2', null, t('mn_versions')), versionsStatus, versionsBox),
      stats.section);
    await Promise.all([
      loadCurrent().catch((err) => current.replaceChildren(errorBox(err))),
      loadDrafts().catch((err) => drafts.replaceChildren(errorBox(err))),
    ]);
    versions = makeVersions();
    versionsBox.replaceChildren(versions);
    await versions.ready;
    await stats.run();
  },
};
