// Sandbox control (沙箱控制, local stack only): play WeChat's users and staff against our API (a follow, a scan of a
// channel's code, a message, a new WeCom customer, a staff member leaving), move the sandbox's clock, run a
// scheduled function, then drain the queues so the workers apply it all. The routes exist only on the local stack
// (local/console_control.py), so the page is in the nav only when GET /accounts/{id}/local answers.
import { addMessages } from './i18n.js';
import { api, errorBox, field, h, notice, t, table } from './lib.js';

addMessages({
  sb_intro: { zh: '本页只在本地环境出现：操作会由微信沙箱签名加密后发到本系统的回调地址。',
    en: 'This page exists on the local stack only: the WeChat sandbox signs and encrypts each action and sends it to our callback.' },
  sb_action: { zh: '模拟操作', en: 'Simulate' },
  sb_act_follow: { zh: '关注公众号', en: 'Follow' },
  sb_act_scan: { zh: '扫渠道二维码', en: 'Scan a channel code' },
  sb_act_message: { zh: '发送消息', en: 'Send a message' },
  sb_act_unfollow: { zh: '取消关注', en: 'Unfollow' },
  sb_act_new_customer: { zh: '添加企业微信客户', en: 'New WeCom customer' },
  sb_act_staff_left: { zh: '员工离职', en: 'Staff member leaves' },
  sb_openid: { zh: '粉丝 openid（留空为新粉丝）', en: 'Follower openid (empty: a new one)' },
  sb_scene: { zh: '渠道场景值', en: 'Channel scene' },
  sb_content: { zh: '消息内容', en: 'Message' },
  sb_userid: { zh: '员工 userid', en: 'Staff userid' },
  sb_state: { zh: '联系我 state（渠道）', en: 'Contact-way state (channel)' },
  sb_name: { zh: '客户名称', en: 'Customer name' },
  sb_send: { zh: '发送', en: 'Send' },
  sb_result: { zh: '回调结果', en: 'Callback result' },
  sb_http: { zh: 'HTTP 状态', en: 'HTTP status' },
  sb_reply: { zh: '被动回复', en: 'Passive reply' },
  sb_clock: { zh: '沙箱时钟', en: 'Sandbox clock' },
  sb_offset: { zh: '已拨快（秒）', en: 'Moved ahead (s)' },
  sb_move: { zh: '拨快时钟', en: 'Move the clock' },
  sb_seconds: { zh: '秒数', en: 'Seconds' },
  sb_hour: { zh: '+1 小时', en: '+1 hour' },
  sb_day: { zh: '+1 天', en: '+1 day' },
  sb_drain: { zh: '处理队列 (drain)', en: 'Drain the queues' },
  sb_drained: { zh: '队列已处理完', en: 'Queues drained' },
  sb_not_drained: { zh: '超时：队列里仍有消息', en: 'Timed out: messages are still queued' },
  sb_fire: { zh: '立即运行定时任务', en: 'Run a schedule now' },
  sb_pending: { zh: '待处理消息', en: 'Pending messages' },
  sb_deliveries: { zh: '已投递', en: 'Delivered' },
  sb_failures: { zh: '失败', en: 'Failures' },
});

const enc = encodeURIComponent;

function actionForm(base, actions, log) {
  const action = h('select', { id: 'sb-action' }, actions.map((a) => h('option', { value: a }, t('sb_act_' + a))));
  const inputs = {
    openid: h('input', { id: 'sb-openid', maxLength: 64 }), scene: h('input', { id: 'sb-scene', maxLength: 64 }),
    content: h('input', { id: 'sb-content', maxLength: 2048 }), userid: h('input', { id: 'sb-userid', maxLength: 64 }),
    state: h('input', { id: 'sb-state', maxLength: 30 }), name: h('input', { id: 'sb-name', maxLength: 64 }),
  };
  const uses = { follow: ['openid'], unfollow: ['openid'], scan: ['openid', 'scene'], message: ['openid', 'content'],
    new_customer: ['userid', 'state', 'name'], staff_left: ['userid'] };
  const fields = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, field(t('sb_' + k), input)]));
  const show = () => { for (const [k, f] of Object.entries(fields)) f.classList.toggle('hidden', !uses[action.value].includes(k)); };
  action.addEventListener('change', show);
  show();
  const send = h('button', { type: 'submit', class: 'primary', id: 'sb-send' }, t('sb_send'));
  return h('form', { class: 'card', id: 'sb-simulate', onsubmit: async (e) => {
    e.preventDefault();
    const body = { action: action.value };
    for (const k of uses[action.value]) if (inputs[k].value.trim()) body[k] = inputs[k].value.trim();
    send.disabled = true;
    try {
      const out = await api(`${base}/simulate`, { method: 'POST', body });
      log(h('div', { class: 'notice ok sb-result', 'data-action': out.action },
        table([{ key: 'k', label: t('sb_result') }, { key: 'v', label: '', class: 'mono' }],
          [[t('sb_action'), t('sb_act_' + out.action)], [t('sb_http'), out.status], ['openid', out.openid],
            ['external_userid', out.external_userid], [t('sb_reply'), out.reply], ['error', out.error]]
            .filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => ({ k, v: String(v) })))));
    } catch (err) {
      log(errorBox(err));
    } finally {
      send.disabled = false;
    }
  } }, h('h2', null, t('sb_action')), field(t('sb_action'), action), Object.values(fields), send);
}

export default {
  id: 'sandbox',
  title: { zh: '沙箱控制', en: 'Sandbox' },
  role: 'operator',
  // in the nav only where the local stack's control routes answer
  async available(ctx) {
    if (!ctx.account_id) return false;
    try { await api(`/accounts/${enc(ctx.account_id)}/local`); return true; } catch { return false; }
  },
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}/local`;
    const status = await api(base);
    const logBox = h('div', { id: 'sb-log' });
    const log = (node) => logBox.prepend(node);
    const figures = h('dl', { class: 'figures', id: 'sb-status' });
    const paint = (s) => figures.replaceChildren(...[[t('sb_clock'), new Date(s.clock.now * 1000).toISOString(), 'clock'],
      [t('sb_offset'), Math.round(s.clock.offset), 'offset'], [t('sb_pending'), s.dispatcher.pending, 'pending'],
      [t('sb_deliveries'), s.dispatcher.deliveries, 'deliveries'], [t('sb_failures'), s.dispatcher.failures, 'failures']]
      .map(([k, v, id]) => h('div', { class: 'figure', 'data-figure': id }, h('dt', null, k), h('dd', null, String(v ?? '–')))));
    const refresh = async () => paint(await api(base));
    paint(status);
    const post = async (path, body, button, message) => {
      button.disabled = true;
      try {
        const out = await api(`${base}/${path}`, { method: 'POST', body });
        if (message) log(notice(out.drained === false ? 'error' : 'ok', message(out)));
        await refresh();
      } catch (err) {
        log(errorBox(err));
      } finally {
        button.disabled = false;
      }
    };
    const seconds = h('input', { id: 'sb-seconds', type: 'number', min: 1, value: 60 });
    const move = (n, id, label) => {
      const b = h('button', { type: 'button', class: 'secondary', id }, label);
      b.addEventListener('click', () => post('clock', { seconds: n === null ? Number(seconds.value) : n }, b,
        (out) => `${t('sb_offset')}: ${Math.round(out.offset)}`));
      return b;
    };
    const drain = h('button', { type: 'button', class: 'primary', id: 'sb-drain' }, t('sb_drain'));
    drain.addEventListener('click', () => post('drain', undefined, drain, (out) => t(out.drained ? 'sb_drained' : 'sb_not_drained')));
    const schedule = h('select', { id: 'sb-schedule' }, (status.dispatcher.schedules || []).map((s) => h('option', { value: s }, s)));
    const fire = h('button', { type: 'button', class: 'secondary', id: 'sb-fire' }, t('sb_fire'));
    fire.addEventListener('click', () => post(`fire/${enc(schedule.value)}`, undefined, fire,
      (out) => `${out.schedule}: ${JSON.stringify(out.result)}`));
    root.append(notice('info', t('sb_intro')), figures,
      actionForm(base, status.actions, log),
      h('div', { class: 'card' }, h('h2', null, t('sb_move')),
        h('div', { class: 'toolbar' }, field(t('sb_seconds'), seconds), move(null, 'sb-move', t('sb_move')),
          move(3600, 'sb-hour', t('sb_hour')), move(86400, 'sb-day', t('sb_day')))),
      h('div', { class: 'card' }, h('div', { class: 'toolbar' }, drain, schedule, fire)),
      logBox);
  },
};
