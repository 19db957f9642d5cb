// Loss alerts (流失提醒) of a WeCom corp: who hears of a lost customer (the staff member left, or a supervisor),
// through which app and how (admins edit; others read), and the alerts sent and failed per China day.
import { addMessages } from './i18n.js';
import { api, chart, chinaDay, errorBox, field, figures, h, isWecom, notice, t, table } from './lib.js';

addMessages({
  la_settings: { zh: '提醒设置', en: 'Settings' },
  la_enabled: { zh: '启用流失提醒', en: 'Send loss alerts' },
  la_on: { zh: '已启用', en: 'On' },
  la_off: { zh: '未启用', en: 'Off' },
  la_agentid: { zh: '应用 AgentId', en: 'App agentid' },
  la_agentid_hint: { zh: '发送提醒的自建应用', en: 'The app (自建应用) that sends the alert' },
  la_recipient: { zh: '提醒对象', en: 'Recipient' },
  la_recipient_staff: { zh: '被删除的员工本人', en: 'The staff member' },
  la_recipient_supervisor: { zh: '指定主管', en: 'A supervisor' },
  la_supervisor: { zh: '主管 userid', en: 'Supervisor userid' },
  la_events: { zh: '提醒事件', en: 'Events' },
  la_event_del_follow_user: { zh: '客户删除员工', en: 'A customer deleted the staff member' },
  la_event_del_external_contact: { zh: '员工删除客户', en: 'The staff member deleted a customer' },
  la_message: { zh: '消息类型', en: 'Message' },
  la_message_text: { zh: '文本', en: 'Text' },
  la_message_textcard: { zh: '文本卡片', en: 'Text card' },
  la_url: { zh: '卡片链接', en: 'Card link' },
  la_interval: { zh: '重复消息检查（秒）', en: 'Duplicate check (s)' },
  la_saved: { zh: '已保存', en: 'Saved' },
  la_counts: { zh: '提醒次数', en: 'Alerts' },
  la_sent: { zh: '已发送', en: 'Sent' },
  la_failed: { zh: '发送失败', en: 'Failed' },
  la_unsent: { zh: '未发送（应用未配置 Secret）', en: 'Unsent (no Secret for the app)' },
  la_day: { zh: '日期', en: 'Day' },
  la_from: { zh: '开始日期', en: 'From' },
  la_to: { zh: '结束日期', en: 'To' },
  la_apply: { zh: '查询', en: 'Apply' },
  la_admin_only: { zh: '仅管理员可修改设置。', en: 'Only admins change the settings.' },
});

const enc = encodeURIComponent;
const EVENTS = ['del_follow_user', 'del_external_contact'];

function settingsView(s) {
  return h('div', { id: 'la-settings-view' }, figures([
    [t('la_enabled'), s.enabled ? t('la_on') : t('la_off'), 'enabled'],
    [t('la_agentid'), s.agentid, 'agentid'],
    [t('la_recipient'), t('la_recipient_' + s.recipient), 'recipient'],
    [t('la_supervisor'), s.supervisor, 'supervisor'],
    [t('la_events'), s.events.map((e) => t('la_event_' + e)).join('、'), 'events'],
    [t('la_message'), t('la_message_' + s.message), 'message'],
  ]), h('p', { class: 'field-hint' }, t('la_admin_only')));
}

function settingsForm(base, s, onSaved, saved) {
  const enabled = h('input', { type: 'checkbox', id: 'la-enabled', checked: s.enabled });
  const agentid = h('input', { type: 'number', id: 'la-agentid', min: 1, value: s.agentid ?? '' });
  const recipient = h('select', { id: 'la-recipient' }, ['staff', 'supervisor'].map((r) =>
    h('option', { value: r, selected: s.recipient === r }, t('la_recipient_' + r))));
  const supervisor = h('input', { id: 'la-supervisor', maxLength: 64, value: s.supervisor || '' });
  const events = EVENTS.map((e) => h('input', { type: 'checkbox', name: 'events', value: e,
    checked: s.events.includes(e), dataset: { event: e } }));
  const message = h('select', { id: 'la-message' }, ['text', 'textcard'].map((m) =>
    h('option', { value: m, selected: s.message === m }, t('la_message_' + m))));
  const url = h('input', { id: 'la-url', type: 'url', maxLength: 2048, value: s.url || '' });
  const interval = h('input', { type: 'number', id: 'la-interval', min: 60, max: 14400,
    value: s.duplicate_check_interval });
  const status = h('div', { id: 'la-status' }, saved ? notice('ok', t('la_saved')) : null);
  const save = h('button', { type: 'submit', class: 'primary', id: 'la-save' }, t('save'));
  return h('form', { class: 'card', id: 'la-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { enabled: enabled.checked, recipient: recipient.value, message: message.value,
      events: events.filter((c) => c.checked).map((c) => c.value),
      duplicate_check_interval: Number(interval.value) || 1800 };
    if (agentid.value) body.agentid = Number(agentid.value);
    if (supervisor.value.trim()) body.supervisor = supervisor.value.trim();
    if (url.value.trim()) body.url = url.value.trim();
    save.disabled = true;
    try {
      onSaved(await api(`${base}/loss-alerts/settings`, { method: 'PUT', body }), true); // redrawn as saved
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      save.disabled = false;
    }
  } },
  h('label', { class: 'field' }, h('span', null, enabled, ' ', t('la_enabled'))),
  h('div', { class: 'form-grid' }, field(t('la_agentid'), agentid, t('la_agentid_hint')),
    field(t('la_recipient'), recipient), field(t('la_supervisor'), supervisor)),
  h('fieldset', { class: 'field', id: 'la-events' }, h('legend', { class: 'field-label' }, t('la_events')),
    events.map((c) => h('label', null, c, ' ', t('la_event_' + c.value), ' '))),
  h('div', { class: 'form-grid' }, field(t('la_message'), message), field(t('la_url'), url),
    field(t('la_interval'), interval)),
  status, save);
}

function countsOption(answer) {
  const byDay = new Map(answer.days.map((d) => [d.day, d]));
  const days = [];
  for (let d = answer.from; d <= answer.to && days.length < 400;) {
    days.push(d);
    const next = new Date(`${d}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    d = next.toISOString().slice(0, 10);
  }
  return {
    legend: { top: 0, data: [t('la_sent'), t('la_failed')] },
    grid: { left: 40, right: 20, bottom: 30, top: 40 },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('la_sent'), type: 'bar', stack: 'n', data: days.map((d) => (byDay.get(d) || {}).sent || 0),
        itemStyle: { color: '#07c160' } },
      { name: t('la_failed'), type: 'bar', stack: 'n', data: days.map((d) => (byDay.get(d) || {}).failed || 0),
        itemStyle: { color: '#cf222e' } },
    ],
  };
}

export default {
  id: 'alerts',
  title: { zh: '流失提醒', en: 'Loss alerts' },
  role: 'viewer',
  available: (ctx) => isWecom(ctx.account_id),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}`;
    const settingsBox = h('section', { id: 'la-settings' });
    const show = (s, saved) => {
      settingsBox.dataset.enabled = String(s.enabled);
      settingsBox.replaceChildren(h('h2', null, t('la_settings')),
        ctx.allowed('admin') ? settingsForm(base, s, show, saved) : settingsView(s));
    };
    const from = h('input', { type: 'date', id: 'la-from', value: chinaDay(-29) });
    const to = h('input', { type: 'date', id: 'la-to', value: chinaDay(0) });
    const countsBox = h('div', { id: 'la-counts' });
    const plot = h('div', { class: 'chart', id: 'la-chart' });
    let drawn = null;
    async function loadCounts() {
      try {
        const c = await api(`${base}/loss-alerts/counts`, { query: { from: from.value, to: to.value } });
        countsBox.replaceChildren(figures([[t('la_sent'), c.sent, 'sent'], [t('la_failed'), c.failed, 'failed'],
          [t('la_unsent'), c.unsent || 0, 'unsent']]),
          table([{ key: 'day', label: t('la_day') }, { key: 'sent', label: t('la_sent'), class: 'num' },
            { key: 'failed', label: t('la_failed'), class: 'num' }, { key: 'unsent', label: t('la_unsent'), class: 'num' }],
            c.days.filter((d) => d.sent || d.failed || d.unsent)));
        if (drawn) drawn.dispose();
        drawn = await chart(plot, countsOption(c));
      } catch (err) { countsBox.replaceChildren(errorBox(err)); }
    }
    root.append(settingsBox, h('section', null, h('h2', null, t('la_counts')),
      h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); loadCounts(); } },
        field(t('la_from'), from), field(t('la_to'), to),
        h('button', { type: 'submit', class: 'secondary', id: 'la-apply' }, t('la_apply'))),
      countsBox, plot));
    show(await api(`${base}/loss-alerts/settings`));
    await loadCounts();
  },
};
