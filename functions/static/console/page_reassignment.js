// Staff-departure reassignment (离职继承): preview and start a plan for a staff member (operator), every plan of the
// account (GET …/reassignment/plans, newest first, optionally one handover's), a staff member's plans with their
// progress (counts per state, notices), one plan's per-customer items by state, and one customer's transfers.
import { addMessages } from './i18n.js';
import { confirmStep } from './confirm.js';
import { api, chart, errorBox, field, fmtTime, h, notice, pager, t, table } from './lib.js';

addMessages({
  ra_handover: { zh: '交接员工 userid', en: 'Handover staff userid' },
  ra_mode: { zh: '类型', en: 'Mode' },
  ra_mode_resigned: { zh: '离职继承', en: 'Resigned' },
  ra_mode_onjob: { zh: '在职转接', en: 'On the job' },
  ra_strategy: { zh: '分配方式', en: 'Strategy' },
  ra_strategy_default: { zh: '按账号策略', en: 'Account policy' },
  ra_strategy_round_robin: { zh: '轮流分配', en: 'Round robin' },
  ra_strategy_least_loaded: { zh: '客户最少者优先', en: 'Least loaded' },
  ra_strategy_same_department: { zh: '同部门', en: 'Same department' },
  ra_strategy_tag: { zh: '按标签', en: 'By tag' },
  ra_takeovers: { zh: '接替员工 userid（逗号分隔，可选）', en: 'Takeover userids (comma-separated, optional)' },
  ra_chats: { zh: '同时转接客户群', en: 'Include group chats' },
  ra_preview: { zh: '预览', en: 'Preview' },
  ra_start: { zh: '开始转接', en: 'Start' },
  ra_start_q: { zh: '按预览开始转接这些客户？', en: 'Start moving these customers as previewed?' },
  ra_new: { zh: '新建转接计划', en: 'New plan' },
  ra_customers: { zh: '客户', en: 'Customers' },
  ra_chat_count: { zh: '客户群', en: 'Group chats' },
  ra_blocked: { zh: '受 90 天 2 次限制', en: 'Blocked by the 2-per-90-days rule' },
  ra_batches: { zh: '批次', en: 'Batches' },
  ra_per_takeover: { zh: '每位接替员工', en: 'Per takeover' },
  ra_takeover: { zh: '接替员工', en: 'Takeover' },
  ra_count: { zh: '数量', en: 'Count' },
  ra_find_staff: { zh: '查员工的转接计划', en: 'A staff member\'s plans' },
  ra_find_plan: { zh: '按计划 ID 打开', en: 'Open a plan by id' },
  ra_find_customer: { zh: '查客户的转接状态', en: 'A customer\'s transfers' },
  ra_userid: { zh: '员工 userid', en: 'Staff userid' },
  ra_plan_id: { zh: '计划 ID', en: 'Plan id' },
  ra_external: { zh: '客户 external_userid', en: 'Customer external_userid' },
  ra_find: { zh: '查询', en: 'Look up' },
  ra_plan: { zh: '转接计划', en: 'Plan' },
  ra_status: { zh: '状态', en: 'Status' },
  ra_status_running: { zh: '进行中', en: 'Running' },
  ra_status_done: { zh: '已完成', en: 'Done' },
  ra_trigger: { zh: '触发', en: 'Trigger' },
  ra_created: { zh: '创建时间', en: 'Created' },
  ra_open: { zh: '查看', en: 'Open' },
  ra_advance: { zh: '立即推进', en: 'Advance now' },
  ra_advanced: { zh: '已排队推进', en: 'Queued' },
  ra_items: { zh: '每位客户 / 客户群', en: 'Per customer / chat' },
  ra_item_kind: { zh: '类型', en: 'Kind' },
  ra_item_id: { zh: 'ID', en: 'Id' },
  ra_item_state: { zh: '状态', en: 'State' },
  ra_reason: { zh: '原因', en: 'Reason' },
  ra_updated: { zh: '更新时间', en: 'Updated' },
  ra_filter_all: { zh: '全部状态', en: 'All states' },
  ra_st_waiting: { zh: '等待中', en: 'Waiting' },
  ra_st_done: { zh: '成功', en: 'Done' },
  ra_st_refused: { zh: '客户拒绝', en: 'Refused' },
  ra_st_limit_exceeded: { zh: '超过接替上限', en: 'Over the limit' },
  ra_st_failed: { zh: '失败', en: 'Failed' },
  ra_notices: { zh: '已通知接替员工', en: 'Takeovers notified' },
  ra_status_cancelled: { zh: '已取消', en: 'Cancelled' },
  ra_all_plans: { zh: '全部转接计划', en: 'All plans' },
  ra_handover_col: { zh: '交接员工', en: 'Handover' },
  ra_filter_handover: { zh: '只看这位交接员工（userid，可选）', en: 'Only this handover (userid, optional)' },
  ra_filter: { zh: '筛选', en: 'Filter' },
});

const enc = encodeURIComponent;
const STATES = ['waiting', 'done', 'refused', 'limit_exceeded', 'failed'];
const epoch = (s) => (s ? fmtTime(s) : '');

function planArgs(form) {
  const body = { handover_userid: form.handover.value.trim(), mode: form.mode.value, include_chats: form.chats.checked };
  if (form.strategy.value) body.strategy = form.strategy.value;
  const takeovers = form.takeovers.value.split(/[,，\s]+/).filter(Boolean);
  if (takeovers.length) body.takeovers = takeovers;
  return body;
}

function previewView(p) {
  return h('div', { id: 'plan-preview' },
    h('dl', { class: 'figures' }, [[t('ra_customers'), p.customers], [t('ra_chat_count'), p.chats],
      [t('ra_batches'), p.customer_batches], [t('ra_blocked'), (p.blocked_by_90_day_rule || []).length]]
      .map(([k, v]) => h('div', { class: 'figure' }, h('dt', null, k), h('dd', null, String(v ?? '–'))))),
    table([{ key: 'u', label: t('ra_takeover') }, { key: 'n', label: t('ra_count'), class: 'num' }],
      Object.entries(p.per_takeover || {}).map(([u, n]) => ({ u, n: typeof n === 'object' ? JSON.stringify(n) : n }))));
}

function createForm(base, onPlan) {
  const f = {
    handover: h('input', { id: 'ra-handover', required: true, maxLength: 64 }),
    mode: h('select', { id: 'ra-mode' }, ['resigned', 'onjob'].map((m) => h('option', { value: m }, t('ra_mode_' + m)))),
    strategy: h('select', { id: 'ra-strategy' }, h('option', { value: '' }, t('ra_strategy_default')),
      ['round_robin', 'least_loaded', 'same_department', 'tag'].map((s) => h('option', { value: s }, t('ra_strategy_' + s)))),
    takeovers: h('input', { id: 'ra-takeovers' }),
    chats: h('input', { type: 'checkbox', id: 'ra-chats', checked: true }),
  };
  const out = h('div');
  const previewButton = h('button', { type: 'submit', class: 'secondary', id: 'ra-preview' }, t('ra_preview'));
  const start = h('button', { type: 'button', class: 'primary', id: 'ra-start' }, t('ra_start'));
  confirmStep(start, t('ra_start_q'), async () => {
    if (!f.handover.value.trim()) { f.handover.reportValidity(); return; }
    start.disabled = true;
    try {
      const plan = await api(`${base}/plans`, { method: 'POST', body: planArgs(f) });
      onPlan(plan.plan_id);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      start.disabled = false;
    }
  });
  return h('form', { class: 'card', id: 'plan-form', onsubmit: async (e) => {
    e.preventDefault();
    previewButton.disabled = true;
    try {
      out.replaceChildren(previewView(await api(`${base}/preview`, { method: 'POST', body: planArgs(f) })));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      previewButton.disabled = false;
    }
  } },
  h('h2', null, t('ra_new')),
  h('div', { class: 'form-grid' }, field(t('ra_handover'), f.handover), field(t('ra_mode'), f.mode),
    field(t('ra_strategy'), f.strategy), field(t('ra_takeovers'), f.takeovers)),
  h('label', { class: 'field' }, h('span', null, f.chats, ' ', t('ra_chats'))),
  h('div', { class: 'actions' }, previewButton, start), out);
}

const itemColumns = () => [
  { key: 'kind', label: t('ra_item_kind'), render: (i) => (i.kind === 'chat' ? t('ra_chat_count') : t('ra_customers')) },
  { key: 'id', label: t('ra_item_id') },
  { key: 'status', label: t('ra_item_state'), render: (i) => t('ra_st_' + i.status) },
  { key: 'takeover_userid', label: t('ra_takeover') },
  { key: 'reason', label: t('ra_reason'), render: (i) => [i.errcode ? `errcode ${i.errcode}` : '', i.reason || ''].filter(Boolean).join(' · ') },
  { key: 'updated_at', label: t('ra_updated'), render: (i) => epoch(i.updated_at) },
];

async function planDetail(box, base, planId, canAct) {
  const plan = await api(`${base}/plans/${enc(planId)}`);
  const filter = h('select', { id: 'plan-item-state' }, h('option', { value: '' }, t('ra_filter_all')),
    STATES.map((s) => h('option', { value: s }, t('ra_st_' + s))));
  const items = pager((cursor) => api(`${base}/plans/${enc(planId)}/items`, { query: { limit: 50, cursor, status: filter.value } }),
    (rows, container) => container.appendChild(table(itemColumns(), rows)));
  filter.addEventListener('change', () => items.reload());
  const chartEl = h('div', { class: 'chart', id: 'plan-chart' });
  const said = h('div');
  const advance = h('button', { type: 'button', class: 'secondary', id: 'plan-advance' }, t('ra_advance'));
  advance.addEventListener('click', async () => {
    try {
      await api(`${base}/plans/${enc(planId)}/advance`, { method: 'POST' });
      said.replaceChildren(notice('ok', t('ra_advanced')));
    } catch (err) { said.replaceChildren(errorBox(err)); }
  });
  const counts = plan.counts || {};
  box.replaceChildren(h('div', { class: 'card', id: 'plan-detail', 'data-status': plan.status },
    h('h2', null, `${t('ra_plan')} ${plan.plan_id}`),
    h('dl', { class: 'figures' }, [[t('ra_status'), t('ra_status_' + plan.status)], [t('ra_handover'), plan.handover_userid],
      [t('ra_mode'), t('ra_mode_' + plan.mode)], [t('ra_trigger'), plan.trigger || ''], [t('ra_created'), epoch(plan.created_at)],
      ...STATES.map((s) => [t('ra_st_' + s), counts[s] || 0])]
      .map(([k, v]) => h('div', { class: 'figure' }, h('dt', null, k), h('dd', null, String(v))))),
    chartEl,
    (plan.notices || []).length ? h('p', null, `${t('ra_notices')}: `, plan.notices.map((n) => n.userid || n.takeover || '').join(', ')) : null,
    canAct && plan.status === 'running' ? advance : null, said,
    h('h3', null, t('ra_items')), h('div', { class: 'toolbar' }, filter), items,
    h('button', { type: 'button', class: 'secondary', id: 'plan-refresh', onclick: () => planDetail(box, base, planId, canAct) }, t('refresh'))));
  await chart(chartEl, { xAxis: { type: 'category', data: STATES.map((s) => t('ra_st_' + s)) }, yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: t('ra_count'), type: 'bar', data: STATES.map((s) => counts[s] || 0) }] });
  await items.ready;
}

// Every plan of the account, newest first, with its handover (the shared cursor paging; ?handover= filters).
function allPlans(base, columns) {
  const handover = h('input', { id: 'all-plans-handover', maxLength: 64 });
  const list = pager((cursor) => api(`${base}/plans`, { query: { limit: 20, cursor, handover: handover.value.trim() } }),
    (rows, container) => container.appendChild(table(columns, rows)));
  return h('div', { class: 'card', id: 'all-plans' },
    h('h2', null, t('ra_all_plans')),
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); list.reload(); } },
      field(t('ra_filter_handover'), handover), h('button', { type: 'submit', class: 'secondary', id: 'all-plans-filter' }, t('ra_filter'))),
    list);
}

function lookup(id, title, label, onSubmit) {
  const input = h('input', { id, required: true, maxLength: 128 });
  return h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); onSubmit(input.value.trim()); } },
    field(`${title} · ${label}`, input), h('button', { type: 'submit', class: 'secondary' }, t('ra_find')));
}

export default {
  id: 'reassignment',
  title: { zh: '离职继承', en: 'Reassignment' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}/reassignment`;
    const canAct = ctx.allowed('operator');
    const box = h('div', { id: 'plan-box' });
    const results = h('div', { id: 'reassignment-results' });
    const openPlan = (planId) => {
      ctx.navigate('reassignment', { plan: planId });
    };
    const planColumns = [
      { key: 'plan_id', label: t('ra_plan_id') },
      { key: 'status', label: t('ra_status'), render: (p) => t('ra_status_' + p.status) },
      { key: 'mode', label: t('ra_mode'), render: (p) => t('ra_mode_' + p.mode) },
      { key: 'done', label: t('ra_st_done'), class: 'num', render: (p) => (p.counts || {}).done || 0 },
      { key: 'waiting', label: t('ra_st_waiting'), class: 'num', render: (p) => (p.counts || {}).waiting || 0 },
      { key: 'created_at', label: t('ra_created'), render: (p) => epoch(p.created_at) },
      { key: 'open', label: '', render: (p) => h('button', { type: 'button', class: 'small secondary',
        'data-open': p.plan_id, onclick: () => openPlan(p.plan_id) }, t('ra_open')) },
    ];
    const withHandover = [planColumns[0], { key: 'handover_userid', label: t('ra_handover_col') }, ...planColumns.slice(1)];
    root.append(
      canAct ? createForm(base, openPlan) : null,
      allPlans(base, withHandover),
      h('div', { class: 'card' },
        lookup('ra-find-staff', t('ra_find_staff'), t('ra_userid'), (userid) => {
          const list = pager((cursor) => api(`${base}/staff/${enc(userid)}/history`, { query: { limit: 20, cursor } }),
            (rows, container) => container.appendChild(table(planColumns, rows)));
          results.replaceChildren(list);
        }),
        lookup('ra-find-plan', t('ra_find_plan'), t('ra_plan_id'), openPlan),
        lookup('ra-find-customer', t('ra_find_customer'), t('ra_external'), (ext) => {
          const list = pager((cursor) => api(`${base}/customers/${enc(ext)}`, { query: { limit: 20, cursor } }),
            (rows, container) => container.appendChild(table([{ key: 'plan_id', label: t('ra_plan_id') }, ...itemColumns()], rows)));
          results.replaceChildren(list);
        }),
        results),
      box);
    if (ctx.params && ctx.params.plan) {
      await planDetail(box, base, ctx.params.plan, canAct).catch((err) => box.replaceChildren(errorBox(err)));
    }
  },
};
