// Customer segments (客户分群) of an Official Account or a WeCom corp: the segments (the built-in VIP one first, then
// the saved rule segments, a page at a time), each with the conditions naming a tag or channel gone since (flags);
// a rule built from conditions (全部满足 / 任一满足, with one level of condition groups), previewed (how many, a sample
// with their RFM scores, the index read) before it is saved; a segment opened with its size now, exported as CSV
// and deleted; and the account's RFM bands. Everyone previews and reads; operators save, delete and set the bands.
import { addMessages } from './i18n.js';
import { confirmStep } from './confirm.js';
import { api, downloadCsv, errorBox, field, figures, fmtTime, h, idempotencyKey, isWecom, notice, pager, t, table }
  from './lib.js';

addMessages({
  sg_builder: { zh: '新建分群规则', en: 'New segment rule' },
  sg_builder_viewer: { zh: '试算分群规则', en: 'Try a segment rule' },
  sg_name: { zh: '分群名称', en: 'Segment name' },
  sg_combine: { zh: '条件之间', en: 'Conditions' },
  sg_all: { zh: '全部满足', en: 'All of them hold' },
  sg_any: { zh: '任一满足', en: 'Any of them holds' },
  sg_field: { zh: '字段', en: 'Field' },
  sg_op: { zh: '条件', en: 'Operator' },
  sg_value: { zh: '值', en: 'Value' },
  sg_add: { zh: '添加条件', en: 'Add a condition' },
  sg_add_group: { zh: '添加条件组', en: 'Add a group' },
  sg_group: { zh: '条件组', en: 'Group' },
  sg_remove: { zh: '删除', en: 'Remove' },
  sg_rule_json: { zh: '提交的规则（JSON）', en: 'The rule sent (JSON)' },
  sg_preview: { zh: '预览人数', en: 'Preview the size' },
  sg_save: { zh: '保存分群', en: 'Save the segment' },
  sg_saved: { zh: '分群已保存：', en: 'Segment saved: ' },
  sg_pv_title: { zh: '预览结果', en: 'Preview' },
  sg_pv_count: { zh: '符合人数', en: 'People' },
  sg_pv_items: { zh: '读取条目', en: 'Items read' },
  sg_pv_plan: { zh: '使用的索引', en: 'Index used' },
  sg_pv_scan: { zh: '全量扫描（没有可用索引的条件）', en: 'A full scan (no condition an index can answer)' },
  sg_pv_sample: { zh: '样本', en: 'Sample' },
  sg_person: { zh: '客户', en: 'Person' },
  sg_identities: { zh: '本账号身份（openid / external_userid）', en: 'Identities on this account' },
  sg_r: { zh: 'R（最近）', en: 'R (recency)' },
  sg_f: { zh: 'F（频次）', en: 'F (frequency)' },
  sg_m: { zh: 'M（价值）', en: 'M (value)' },
  sg_list: { zh: '分群列表', en: 'Segments' },
  sg_kind: { zh: '类型', en: 'Kind' },
  sg_builtin: { zh: '内置', en: 'Built in' },
  sg_rule_kind: { zh: '规则', en: 'Rule' },
  sg_rule: { zh: '规则', en: 'Rule' },
  sg_created: { zh: '创建时间', en: 'Created' },
  sg_problems: { zh: '问题', en: 'Problems' },
  sg_actions: { zh: '操作', en: 'Actions' },
  sg_open: { zh: '查看', en: 'Open' },
  sg_export: { zh: '导出 CSV', en: 'Export CSV' },
  sg_delete: { zh: '删除分群', en: 'Delete' },
  sg_delete_q: { zh: '删除这个分群？引用它的推送将找不到受众。', en: 'Delete this segment? Pushes naming it lose their audience.' },
  sg_deleted: { zh: '分群已删除：', en: 'Segment deleted: ' },
  sg_detail: { zh: '分群详情', en: 'Segment' },
  sg_size: { zh: '当前人数', en: 'Size now' },
  sg_id: { zh: '分群 ID', en: 'Segment id' },
  sg_flags_title: { zh: '以下条件引用了已删除的标签或已删除、已归档的渠道：它们不再命中任何人（“不包含”则命中所有人）。',
    en: 'These conditions name a tag deleted or a channel deleted or archived since: they hold nobody (everybody, for "lacks").' },
  sg_problem_tag_deleted: { zh: '标签已删除', en: 'tag deleted' },
  sg_problem_channel_deleted: { zh: '渠道已删除', en: 'channel deleted' },
  sg_problem_channel_archived: { zh: '渠道已归档', en: 'channel archived' },
  sg_and: { zh: ' 且 ', en: ' and ' },
  sg_or: { zh: ' 或 ', en: ' or ' },
  sg_rfm: { zh: 'RFM 分档', en: 'RFM bands' },
  sg_rfm_hint: { zh: '每项四个递增的阈值，逗号分隔；修改后所有人的分数立即按新分档计算。',
    en: 'Four ascending thresholds each, comma separated; every score follows new bands at once.' },
  sg_rfm_recency: { zh: '最近互动天数（5、4、3、2 分的上限）', en: 'Days since the last interaction (for 5, 4, 3, 2)' },
  sg_rfm_frequency: { zh: '窗口内互动次数（2、3、4、5 分的下限）', en: 'Interactions in the window (for 2, 3, 4, 5)' },
  sg_rfm_value: { zh: '价值 Σ 权重×次数（2、3、4、5 分的下限）', en: 'Value, Σ weight × count (for 2, 3, 4, 5)' },
  sg_rfm_window: { zh: '频次窗口（天）', en: 'Frequency window (days)' },
  sg_rfm_w_wins: { zh: '权重：中奖', en: 'Weight: wins' },
  sg_rfm_w_redemptions: { zh: '权重：核销', en: 'Weight: redemptions' },
  sg_rfm_w_draws: { zh: '权重：抽奖', en: 'Weight: draws' },
  sg_rfm_save: { zh: '保存分档', en: 'Save the bands' },
  sg_rfm_saved: { zh: 'RFM 分档已保存', en: 'RFM bands saved' },
  // fields
  sg_f_tag: { zh: '标签', en: 'Tag' },
  sg_f_channel: { zh: '渠道', en: 'Channel' },
  sg_f_first_touch: { zh: '首次接触', en: 'First touch' },
  sg_f_last_interaction: { zh: '最近互动', en: 'Last interaction' },
  sg_f_last_message: { zh: '最近发消息', en: 'Last message' },
  sg_f_last_menu_click: { zh: '最近点菜单', en: 'Last menu click' },
  sg_f_last_draw: { zh: '最近抽奖', en: 'Last draw' },
  sg_f_last_redemption: { zh: '最近核销', en: 'Last redemption' },
  sg_f_messages: { zh: '消息数', en: 'Messages' },
  sg_f_menu_clicks: { zh: '菜单点击数', en: 'Menu clicks' },
  sg_f_draws: { zh: '抽奖次数', en: 'Draws' },
  sg_f_wins: { zh: '中奖次数', en: 'Wins' },
  sg_f_redemptions: { zh: '核销次数', en: 'Redemptions' },
  sg_f_push_deliveries: { zh: '推送送达数', en: 'Push deliveries' },
  sg_f_rfm_r: { zh: 'R 分（最近）', en: 'R score (recency)' },
  sg_f_rfm_f: { zh: 'F 分（频次）', en: 'F score (frequency)' },
  sg_f_rfm_m: { zh: 'M 分（价值）', en: 'M score (value)' },
  // operators
  sg_op_has: { zh: '包含', en: 'has' },
  sg_op_lacks: { zh: '不包含', en: 'lacks' },
  sg_op_within_days: { zh: '最近 N 天内', en: 'within the last N days' },
  sg_op_not_within_days: { zh: '最近 N 天内没有', en: 'not within the last N days' },
  sg_op_after: { zh: '晚于（日期）', en: 'after (date)' },
  sg_op_on_or_after: { zh: '不早于（日期）', en: 'on or after (date)' },
  sg_op_before: { zh: '早于（日期）', en: 'before (date)' },
  sg_op_gte: { zh: '≥', en: '≥' },
  sg_op_gt: { zh: '>', en: '>' },
  sg_op_lte: { zh: '≤', en: '≤' },
  sg_op_lt: { zh: '<', en: '<' },
  sg_op_eq: { zh: '=', en: '=' },
  sg_days: { zh: '天', en: 'days' },
  sg_flag_line: { zh: '{path}：{problem}（{value}）', en: '{path}: {problem} ({value})' },
  sg_sample_of: { zh: '（{n} / {count}）', en: ' ({n} of {count})' },
  sg_name_ph: { zh: '近30天中奖会员', en: 'Members who won in the last 30 days' },
  sg_ph_tag: { zh: '标签 ID', en: 'Tag id' },
  sg_ph_channel: { zh: '渠道 ID', en: 'Channel id' },
  sg_ph_days: { zh: '天数', en: 'Days' },
  sg_ph_count: { zh: '次数', en: 'Count' },
  sg_ph_score: { zh: '1–5 分', en: 'Score 1–5' },
});

const enc = encodeURIComponent;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

// The rule language of scrm.contracts.segments: the fields, and the ops each kind of field takes.
const FIELDS = ['tag', 'channel', 'first_touch', 'last_interaction', 'last_message', 'last_menu_click', 'last_draw',
  'last_redemption', 'messages', 'menu_clicks', 'draws', 'wins', 'redemptions', 'push_deliveries', 'rfm.r', 'rfm.f',
  'rfm.m'];
const SET_FIELDS = ['tag', 'channel'];
const DATE_FIELDS = ['first_touch', 'last_interaction', 'last_message', 'last_menu_click', 'last_draw',
  'last_redemption'];
const OPS = { set: ['has', 'lacks'], date: ['within_days', 'not_within_days', 'after', 'on_or_after', 'before'],
  count: ['gte', 'gt', 'lte', 'lt', 'eq'] };
const DAY_OPS = ['within_days', 'not_within_days'];

const kindOf = (f) => (SET_FIELDS.includes(f) ? 'set' : DATE_FIELDS.includes(f) ? 'date' : 'count');
const fieldLabel = (f) => t('sg_f_' + f.replace('.', '_'));
const opLabel = (op) => t('sg_op_' + op);

// A whole number as a number; anything else as typed (the API names what is wrong with it at its path).
function whole(text) {
  const s = String(text).trim();
  if (s === '') return null;
  return /^-?\d+$/.test(s) ? Number(s) : s;
}

// A rule as a sentence: 渠道 包含 c1 且 (消息数 ≥ 1 或 中奖次数 ≥ 1).
function describe(rule, top = true) {
  if (!rule || typeof rule !== 'object') return '';
  for (const group of ['all', 'any']) {
    if (Array.isArray(rule[group])) {
      const text = rule[group].map((r) => describe(r, false)).join(t(group === 'all' ? 'sg_and' : 'sg_or'));
      return top || rule[group].length < 2 ? text : `(${text})`;
    }
  }
  const value = DAY_OPS.includes(rule.op) ? `${rule.value} ${t('sg_days')}` : rule.value;
  return `${fieldLabel(rule.field || '')} ${opLabel(rule.op || '')} ${value === null || value === undefined ? '' : value}`;
}

function problemLabel(problem) {
  const key = 'sg_problem_' + problem;
  return t(key) === key ? problem : t(key);
}

// The conditions naming a tag or channel gone since: each with its path in the rule and the problem, Chinese first.
function flagItems(flags) {
  return h('ul', { class: 'sg-flag-list' }, flags.map((f) => h('li', { class: 'sg-flag', 'data-flag': f.problem,
    'data-path': f.field }, fill(t('sg_flag_line'), { path: f.field, problem: problemLabel(f.problem), value: f.value }))));
}

function flagsView(flags, id) {
  if (!flags || !flags.length) return null;
  return h('div', { class: 'notice warn sg-flags', role: 'status', id }, t('sg_flags_title'), flagItems(flags));
}

// API validation errors at their field paths: each marked on the control whose data-path is the longest prefix of
// the error's path, with the message next to it (errorBox lists them all as well).
function clearMarks(form) {
  form.querySelectorAll('.sg-error').forEach((el) => el.remove());
  form.querySelectorAll('.invalid').forEach((el) => { el.classList.remove('invalid'); el.removeAttribute('aria-invalid'); });
}

function markErrors(form, err) {
  const errors = err && err.details && Array.isArray(err.details.errors) ? err.details.errors
    : err && err.details && err.details.field ? [err.details] : [];
  const controls = [...form.querySelectorAll('[data-path]')];
  for (const e of errors) {
    const path = e.field || '';
    const hits = controls.filter((c) => {
      const p = c.dataset.path;
      return path === p || path.startsWith(p + '.') || path.startsWith(p + '[');
    }).sort((a, b) => b.dataset.path.length - a.dataset.path.length);
    if (!hits.length) continue;
    const control = hits[0];
    control.classList.add('invalid');
    control.setAttribute('aria-invalid', 'true');
    const holder = control.closest('.sg-cond, .sg-group-head, .field') || control;
    holder.appendChild(h('span', { class: 'sg-error', 'data-error-for': path }, `${path}: ${e.message || ''}`));
  }
}

// One condition: field, op (the ops its field takes), value (a text, number or date input as the op wants).
function conditionRow(opts, onRemove) {
  const fieldSel = h('select', { class: 'sg-field', 'aria-label': t('sg_field') },
    FIELDS.map((f) => h('option', { value: f }, fieldLabel(f))));
  const opSel = h('select', { class: 'sg-op', 'aria-label': t('sg_op') });
  const value = h('input', { class: 'sg-value', 'aria-label': t('sg_value') });
  const remove = h('button', { type: 'button', class: 'small secondary sg-remove' }, t('sg_remove'));
  const row = h('div', { class: 'sg-cond' }, fieldSel, opSel, value, remove);
  const shapeValue = () => {
    const kind = kindOf(fieldSel.value);
    const days = DAY_OPS.includes(opSel.value);
    const type = kind === 'set' ? 'text' : kind === 'date' && !days ? 'date' : 'number';
    if (value.type !== type) { value.value = ''; value.type = type; }
    value.removeAttribute('list');
    value.removeAttribute('min');
    value.removeAttribute('max');
    if (kind === 'set') {
      value.placeholder = t(fieldSel.value === 'tag' ? 'sg_ph_tag' : 'sg_ph_channel');
      value.setAttribute('list', fieldSel.value === 'tag' ? 'sg-tag-ids' : 'sg-channel-ids');
    } else if (kind === 'date') {
      value.placeholder = days ? t('sg_ph_days') : 'YYYY-MM-DD';
      if (days) { value.min = '0'; value.max = '3650'; }
    } else if (fieldSel.value.startsWith('rfm.')) {
      value.placeholder = t('sg_ph_score');
      value.min = '1';
      value.max = '5';
    } else {
      value.placeholder = t('sg_ph_count');
      value.min = '0';
    }
  };
  const fillOps = () => {
    const ops = OPS[kindOf(fieldSel.value)];
    const kept = opSel.value;
    opSel.replaceChildren(...ops.map((op) => h('option', { value: op }, opLabel(op))));
    if (ops.includes(kept)) opSel.value = kept;
    shapeValue();
  };
  fieldSel.addEventListener('change', fillOps);
  opSel.addEventListener('change', shapeValue);
  remove.addEventListener('click', () => onRemove());
  fillOps();
  return {
    el: row,
    setPath(path) {
      row.dataset.path = path;
      fieldSel.dataset.path = `${path}.field`;
      opSel.dataset.path = `${path}.op`;
      value.dataset.path = `${path}.value`;
    },
    read() {
      const f = fieldSel.value;
      const kind = kindOf(f);
      let v;
      if (f === 'channel') v = value.value.trim() || null;
      else if (f === 'tag') v = opts.oaTags && /^\d+$/.test(value.value.trim()) ? Number(value.value.trim()) : value.value.trim() || null;
      else if (kind === 'date' && !DAY_OPS.includes(opSel.value)) v = value.value.trim() || null;
      else v = whole(value.value);
      return { field: f, op: opSel.value, value: v };
    },
  };
}

// A group of conditions inside the rule (its own 全部满足 / 任一满足): one level of nesting.
function groupBox(opts, onRemove, onChange) {
  const combine = h('select', { class: 'sg-group-combine', 'aria-label': t('sg_combine') },
    h('option', { value: 'all' }, t('sg_all')), h('option', { value: 'any' }, t('sg_any')));
  const list = h('div', { class: 'sg-group-conds' });
  const conds = [];
  const add = () => {
    const c = conditionRow(opts, () => { conds.splice(conds.indexOf(c), 1); c.el.remove(); onChange(); });
    conds.push(c);
    list.appendChild(c.el);
    onChange();
  };
  const head = h('div', { class: 'sg-group-head' }, h('span', { class: 'field-label' }, t('sg_group')), combine,
    h('button', { type: 'button', class: 'small secondary sg-group-add', onclick: add }, t('sg_add')),
    h('button', { type: 'button', class: 'small secondary sg-remove', onclick: () => onRemove() }, t('sg_remove')));
  const box = h('div', { class: 'sg-group' }, head, list);
  add();
  return {
    el: box,
    setPath(path) {
      box.dataset.path = path;
      combine.dataset.path = `${path}.${combine.value}`;
      conds.forEach((c, i) => c.setPath(`${path}.${combine.value}[${i}]`));
    },
    read() { return { [combine.value]: conds.map((c) => c.read()) }; },
  };
}

function previewView(p) {
  const plan = p.plan || {};
  const index = plan.scan ? t('sg_pv_scan') : Array.isArray(plan.index) ? plan.index.join(', ') : String(plan.index || '');
  const sample = p.sample || [];
  return h('div', { class: 'card', id: 'sg-preview-result' },
    h('h3', null, t('sg_pv_title')),
    figures([[t('sg_pv_count'), p.count, 'count'], [t('sg_pv_items'), p.items_read, 'items_read'],
      [t('sg_pv_plan'), index, 'plan']]),
    flagsView(p.flags, 'sg-preview-flags'),
    h('h3', null, t('sg_pv_sample') + fill(t('sg_sample_of'), { n: sample.length, count: p.count })),
    h('div', { id: 'sg-sample' }, table([
      { key: 'key', label: t('sg_person'), class: 'mono' },
      { key: 'identities', label: t('sg_identities'), render: (s) => (s.identities || []).join(', ') },
      { key: 'r', label: t('sg_r'), class: 'num', render: (s) => (s.rfm || {}).r },
      { key: 'f', label: t('sg_f'), class: 'num', render: (s) => (s.rfm || {}).f },
      { key: 'm', label: t('sg_m'), class: 'num', render: (s) => (s.rfm || {}).m },
    ], sample)));
}

function builder(base, opts, canSave, onSaved) {
  const name = h('input', { id: 'sg-name', maxLength: 128, dataset: { path: 'name' }, placeholder: t('sg_name_ph') });
  const combine = h('select', { id: 'sg-combine' },
    h('option', { value: 'all' }, t('sg_all')), h('option', { value: 'any' }, t('sg_any')));
  const list = h('div', { id: 'sg-conditions', class: 'sg-conditions' });
  const json = h('pre', { id: 'sg-rule-json', class: 'mono sg-json' });
  const status = h('div', { id: 'sg-status' });
  const result = h('div', { id: 'sg-preview-box' });
  const items = [];
  let key = idempotencyKey();
  const rule = () => {
    combine.dataset.path = `rule.${combine.value}`;
    items.forEach((it, i) => it.setPath(`rule.${combine.value}[${i}]`));
    return { [combine.value]: items.map((it) => it.read()) };
  };
  const update = () => { json.textContent = JSON.stringify(rule(), null, 2); };
  const remover = (it) => () => { items.splice(items.indexOf(it), 1); it.el.remove(); update(); };
  const addCondition = () => {
    const it = conditionRow(opts, () => remover(it)());
    items.push(it);
    list.appendChild(it.el);
    update();
  };
  const addGroup = () => {
    const it = groupBox(opts, () => remover(it)(), update);
    items.push(it);
    list.appendChild(it.el);
    update();
  };
  const previewBtn = h('button', { type: 'button', class: 'secondary', id: 'sg-preview' }, t('sg_preview'));
  const saveBtn = canSave ? h('button', { type: 'submit', class: 'primary', id: 'sg-save' }, t('sg_save')) : null;
  const form = h('form', { class: 'card', id: 'sg-builder' },
    h('h2', null, t(canSave ? 'sg_builder' : 'sg_builder_viewer')),
    h('div', { class: 'form-grid' }, canSave ? field(t('sg_name'), name) : null, field(t('sg_combine'), combine)),
    list,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary small', id: 'sg-add', onclick: addCondition }, t('sg_add')),
      h('button', { type: 'button', class: 'secondary small', id: 'sg-add-group', onclick: addGroup }, t('sg_add_group'))),
    h('h3', null, t('sg_rule_json')), json,
    h('div', { class: 'actions' }, previewBtn, saveBtn), status, result);
  form.setAttribute('novalidate', '');
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  const run = async (button, work) => {
    button.disabled = true;
    clearMarks(form);
    status.replaceChildren();
    try {
      await work();
    } catch (err) {
      markErrors(form, err);
      status.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  };
  previewBtn.addEventListener('click', () => run(previewBtn, async () => {
    const answer = await api(`${base}/preview`, { method: 'POST', body: { rule: rule(), sample: 20 } });
    result.replaceChildren(previewView(answer));
  }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!canSave) return;
    run(saveBtn, async () => {
      const made = await api(`${base}/rules`, { method: 'POST', body: { name: name.value, rule: rule() },
        headers: { 'Idempotency-Key': key } });
      key = idempotencyKey();
      status.replaceChildren(notice('ok', t('sg_saved') + made.name), flagsView(made.flags, 'sg-saved-flags') || '');
      onSaved(made);
    });
  });
  addCondition();
  return form;
}

async function exportCsv(base, segmentId, button, said) {
  button.disabled = true;
  try {
    const res = await api(`${base}/rules/${enc(segmentId)}/export.csv`, { raw: true, headers: { Accept: 'text/csv' } });
    downloadCsv(`segment-${segmentId}.csv`, await res.text());
  } catch (err) {
    said.replaceChildren(errorBox(err));
  } finally {
    button.disabled = false;
  }
}

async function detail(box, base, segmentId, canEdit, onChange) {
  const seg = await api(`${base}/rules/${enc(segmentId)}`);
  const said = h('div', { id: 'sg-detail-status' });
  const csv = h('button', { type: 'button', class: 'secondary', id: 'sg-export' }, t('sg_export'));
  csv.addEventListener('click', () => exportCsv(base, seg.segment_id, csv, said));
  let del = null;
  if (canEdit && !seg.builtin) {
    del = h('button', { type: 'button', class: 'secondary', id: 'sg-delete' }, t('sg_delete'));
    confirmStep(del, t('sg_delete_q'), async () => {
      del.disabled = true;
      try {
        await api(`${base}/rules/${enc(seg.segment_id)}`, { method: 'DELETE' });
        box.replaceChildren(notice('ok', t('sg_deleted') + seg.name));
        onChange();
      } catch (err) {
        said.replaceChildren(errorBox(err));
        del.disabled = false;
      }
    });
  }
  box.replaceChildren(h('div', { class: 'card', id: 'sg-detail', 'data-segment': seg.segment_id },
    h('h2', null, `${t('sg_detail')}: ${seg.name}`),
    figures([[t('sg_size'), seg.size, 'size'], [t('sg_id'), seg.segment_id, 'segment_id'],
      [t('sg_kind'), t(seg.builtin ? 'sg_builtin' : 'sg_rule_kind'), 'kind'],
      [t('sg_created'), seg.created_at ? fmtTime(seg.created_at) : null, 'created_at']]),
    flagsView(seg.flags, 'sg-detail-flags'),
    h('h3', null, t('sg_rule')), h('p', { id: 'sg-detail-rule-text' }, describe(seg.rule)),
    h('pre', { class: 'mono sg-json', id: 'sg-detail-rule' }, JSON.stringify(seg.rule, null, 2)),
    h('div', { class: 'actions' }, csv, del), said));
}

// The RFM bands: four thresholds each, the window, the weights; read-only for viewers.
async function rfmForm(base, canEdit) {
  const bands = await api(`${base}/rfm`);
  const list = (v) => (v || []).join(', ');
  const input = (id, path, value, type = 'text') => h('input', { id, type, value: String(value ?? ''),
    disabled: !canEdit, dataset: { path } });
  const recency = input('rfm-recency', 'recency_days', list(bands.recency_days));
  const frequency = input('rfm-frequency', 'frequency', list(bands.frequency));
  const value = input('rfm-value', 'value', list(bands.value));
  const windowDays = input('rfm-window', 'window_days', bands.window_days, 'number');
  const weights = Object.fromEntries(['wins', 'redemptions', 'draws'].map((k) => [k,
    input(`rfm-w-${k}`, `weights.${k}`, (bands.weights || {})[k] ?? 0, 'number')]));
  const status = h('div', { id: 'rfm-status' });
  const save = canEdit ? h('button', { type: 'submit', class: 'primary', id: 'rfm-save' }, t('sg_rfm_save')) : null;
  const numbers = (s) => s.split(/[,，\s]+/).filter(Boolean).map(whole);
  const form = h('form', { class: 'card', id: 'sg-rfm' },
    h('h2', null, t('sg_rfm')), h('p', { class: 'field-hint' }, t('sg_rfm_hint')),
    h('div', { class: 'form-grid' }, field(t('sg_rfm_recency'), recency), field(t('sg_rfm_frequency'), frequency),
      field(t('sg_rfm_value'), value), field(t('sg_rfm_window'), windowDays)),
    h('div', { class: 'form-grid' }, ['wins', 'redemptions', 'draws'].map((k) => field(t(`sg_rfm_w_${k}`), weights[k]))),
    save, status);
  form.setAttribute('novalidate', '');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!canEdit) return;
    save.disabled = true;
    clearMarks(form);
    try {
      const body = { recency_days: numbers(recency.value), frequency: numbers(frequency.value), value: numbers(value.value),
        window_days: whole(windowDays.value),
        weights: Object.fromEntries(Object.entries(weights).map(([k, el]) => [k, whole(el.value)])) };
      const saved = await api(`${base}/rfm`, { method: 'PUT', body });
      recency.value = list(saved.recency_days);
      frequency.value = list(saved.frequency);
      value.value = list(saved.value);
      windowDays.value = String(saved.window_days);
      status.replaceChildren(notice('ok', t('sg_rfm_saved')));
    } catch (err) {
      markErrors(form, err);
      status.replaceChildren(errorBox(err));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

// Ids for the value box of tag and channel conditions (a datalist: typing any id stays possible).
async function choices(accountId, wecom) {
  const lists = [];
  const channels = h('datalist', { id: 'sg-channel-ids' });
  const tags = h('datalist', { id: 'sg-tag-ids' });
  try {
    const answer = await api(`/accounts/${enc(accountId)}/channels`, { query: { limit: 100 } });
    channels.append(...(answer.items || []).map((c) => h('option', { value: c.channel_id, label: c.name })));
  } catch { /* the box takes any id */ }
  if (wecom) {
    try {
      const answer = await api(`/accounts/${enc(accountId)}/tags`, { query: { limit: 100 } });
      tags.append(...(answer.items || []).map((g) => h('option', { value: g.tag_id,
        label: `${g.group_name || ''} / ${g.name}` })));
    } catch { /* the box takes any id */ }
  }
  lists.push(channels, tags);
  return lists;
}

export default {
  id: 'segments',
  title: { zh: '客户分群', en: 'Segments' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}/segments`;
    const canEdit = ctx.allowed('operator');
    const wecom = await isWecom(ctx.account_id);
    const box = h('div', { id: 'sg-detail-box' });
    const show = (segmentId) => detail(box, base, segmentId, canEdit, () => list.reload())
      .catch((err) => box.replaceChildren(errorBox(err)));
    const columns = [
      { key: 'name', label: t('sg_name') },
      { key: 'kind', label: t('sg_kind'), render: (s) => t(s.builtin ? 'sg_builtin' : 'sg_rule_kind') },
      { key: 'rule', label: t('sg_rule'), render: (s) => describe(s.rule) },
      { key: 'created_at', label: t('sg_created'), render: (s) => (s.created_at ? fmtTime(s.created_at) : '') },
      { key: 'flags', label: t('sg_problems'), render: (s) => ((s.flags || []).length ? flagItems(s.flags) : '') },
      { key: 'actions', label: t('sg_actions'), render: (s) => {
        const open = h('button', { type: 'button', class: 'small secondary', 'data-open': s.segment_id }, t('sg_open'));
        open.addEventListener('click', () => show(s.segment_id));
        const csv = h('button', { type: 'button', class: 'small secondary', 'data-export': s.segment_id }, t('sg_export'));
        csv.addEventListener('click', () => exportCsv(base, s.segment_id, csv, box));
        return h('div', { class: 'actions' }, open, csv);
      } },
    ];
    const list = pager((cursor) => api(`${base}/rules`, { query: { limit: 20, cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    list.id = 'sg-list';
    root.append(...await choices(ctx.account_id, wecom),
      builder(base, { oaTags: !wecom }, canEdit, (made) => { list.reload(); show(made.segment_id); }),
      box, h('h2', null, t('sg_list')), list, await rfmForm(base, canEdit).catch((err) => errorBox(err)));
    if (ctx.params && ctx.params.segment) show(ctx.params.segment);
    await list.ready;
  },
};
