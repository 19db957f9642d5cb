// Replies and welcome (自动回复与欢迎语): keyword and menu-click rules (Official Accounts), the welcome and the
// default reply, and "测试这条消息": which rule answers a message and the reply, decided by the API exactly as a
// real message is (POST /accounts/{id}/reply-rules/test).
import { addMessages } from './i18n.js';
import { confirmStep } from './confirm.js';
import { api, errorBox, field, h, notice, pager, t, table } from './lib.js';

addMessages({
  rr_rules: { zh: '关键词回复', en: 'Keyword replies' },
  rr_name: { zh: '规则名称', en: 'Rule name' },
  rr_match: { zh: '匹配方式', en: 'Match' },
  rr_match_exact: { zh: '全匹配', en: 'Exact' },
  rr_match_contains: { zh: '包含', en: 'Contains' },
  rr_match_regex: { zh: '正则 (RE2)', en: 'Regex (RE2)' },
  rr_match_click: { zh: '菜单点击', en: 'Menu click' },
  rr_keywords: { zh: '关键词（每行一个）', en: 'Keywords (one a line)' },
  rr_reply: { zh: '回复内容', en: 'Reply' },
  rr_priority: { zh: '优先级', en: 'Priority' },
  rr_enabled: { zh: '启用', en: 'Enabled' },
  rr_yes: { zh: '是', en: 'Yes' },
  rr_no: { zh: '否', en: 'No' },
  rr_news: { zh: '图文消息', en: 'News' },
  rr_new: { zh: '新建规则', en: 'New rule' },
  rr_delete: { zh: '删除', en: 'Delete' },
  rr_delete_confirm: { zh: '删除这条规则？', en: 'Delete this rule?' },
  rr_toggle_on: { zh: '启用', en: 'Enable' },
  rr_toggle_off: { zh: '停用', en: 'Disable' },
  rr_actions: { zh: '操作', en: 'Actions' },
  rr_refused: { zh: 'RE2 不执行的关键词：', en: 'Keywords RE2 will not run: ' },
  rr_created: { zh: '规则已创建', en: 'Rule created' },
  rr_welcome: { zh: '欢迎语与默认回复', en: 'Welcome and default reply' },
  rr_welcome_oa: { zh: '关注欢迎语', en: 'Follow welcome' },
  rr_welcome_wecom: { zh: '新客户欢迎语', en: 'New customer welcome' },
  rr_default: { zh: '默认回复（没有规则匹配时）', en: 'Default reply (when no rule matches)' },
  rr_empty_removes: { zh: '留空即删除', en: 'Empty removes it' },
  rr_saved: { zh: '已保存', en: 'Saved' },
  rr_test: { zh: '测试这条消息', en: 'Test this message' },
  rr_test_text: { zh: '粉丝发送的消息', en: 'What a follower sends' },
  rr_test_run: { zh: '测试', en: 'Test' },
  rr_by_rule: { zh: '命中规则', en: 'Answered by rule' },
  rr_by_default_reply: { zh: '没有规则命中，发送默认回复', en: 'No rule matches: the default reply answers' },
  rr_by_nothing: { zh: '没有规则命中，也没有默认回复：不回复', en: 'No rule matches and there is no default reply: no answer' },
  rr_would_send: { zh: '将回复：', en: 'Would reply: ' },
  rr_news_first: { zh: '（回复消息时只发送第一篇图文）', en: '(answering a message sends the first article only)' },
  rr_skipped: { zh: '被跳过的正则：', en: 'Regex patterns left out: ' },
  rr_wecom_no_rules: { zh: '企业微信账号没有关键词回复，只有新客户欢迎语。', en: 'WeCom corps have no keyword replies, only the new customer welcome.' },
});

const enc = encodeURIComponent;

function replyText(reply) {
  if (!reply) return '';
  if (reply.type === 'news') return `${t('rr_news')}: ${(reply.articles || []).map((a) => a.title).join(' / ')}`;
  return reply.content || '';
}

function ruleForm(base, onCreated) {
  const name = h('input', { id: 'rr-name', maxLength: 100 });
  const match = h('select', { id: 'rr-match' },
    ['contains', 'exact', 'regex', 'click'].map((m) => h('option', { value: m }, t('rr_match_' + m))));
  const keywords = h('textarea', { id: 'rr-keywords', rows: 3, required: true });
  const reply = h('textarea', { id: 'rr-reply', rows: 3, required: true });
  const priority = h('input', { id: 'rr-priority', type: 'number', value: '0', min: -1000, max: 1000 });
  const status = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'rr-create' }, t('create'));
  const form = h('form', { class: 'card', id: 'rule-form', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await api(base, { method: 'POST', body: {
        name: name.value, match: match.value, priority: Number(priority.value || 0),
        keywords: keywords.value.split('\n').map((k) => k.trim()).filter(Boolean),
        reply: { type: 'text', content: reply.value },
      } });
      form.reset();
      status.replaceChildren(notice('ok', t('rr_created')));
      onCreated();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', null, t('rr_new')),
  h('div', { class: 'form-grid' }, field(t('rr_name'), name), field(t('rr_match'), match),
    field(t('rr_priority'), priority)),
  field(t('rr_keywords'), keywords), field(t('rr_reply'), reply), submit, status);
  return form;
}

function testBox(base) {
  const text = h('input', { id: 'rr-test-text', maxLength: 2048, required: true, placeholder: '优惠券' });
  const result = h('div', { id: 'reply-test-result' });
  const run = h('button', { type: 'submit', class: 'primary', id: 'rr-test-run' }, t('rr_test_run'));
  const form = h('form', { class: 'card', id: 'reply-test', onsubmit: async (e) => {
    e.preventDefault();
    run.disabled = true;
    try {
      const answer = await api(`${base}/test`, { method: 'POST', body: { text: text.value } });
      const lines = [h('p', { class: 'rr-answered-by', 'data-answered-by': answer.answered_by },
        t('rr_by_' + answer.answered_by))];
      if (answer.rule) {
        lines.push(h('p', { class: 'rr-matched-rule', 'data-rule-id': answer.rule.rule_id },
          `${answer.rule.name || answer.rule.rule_id} · ${t('rr_match_' + answer.rule.match)} · `
          + `${answer.rule.keywords.join(' / ')} · ${t('rr_priority')} ${answer.rule.priority}`));
      }
      if (answer.reply) {
        lines.push(h('p', null, t('rr_would_send'), h('strong', { class: 'rr-reply' }, replyText(answer.reply)),
          answer.reply.type === 'news' ? ` ${t('rr_news_first')}` : null));
      }
      if (answer.skipped && answer.skipped.length) {
        lines.push(h('p', { class: 'field-hint' }, t('rr_skipped'),
          answer.skipped.map((s) => `${s.keyword || s.rule_id}: ${s.reason}`).join('; ')));
      }
      result.replaceChildren(h('div', { class: ['notice', answer.reply ? 'ok' : 'info'], role: 'status' }, lines));
    } catch (err) {
      result.replaceChildren(errorBox(err));
    } finally {
      run.disabled = false;
    }
  } },
  h('h2', null, t('rr_test')), h('div', { class: 'toolbar' }, field(t('rr_test_text'), text), run), result);
  return form;
}

async function welcomeForm(accountId, kind, canEdit) {
  const path = `/accounts/${enc(accountId)}/welcome`;
  const current = await api(path);
  const welcome = h('textarea', { id: 'rr-welcome', rows: 3, disabled: !canEdit,
    value: current.welcome && current.welcome.type === 'text' ? current.welcome.content : '' });
  const fallback = h('textarea', { id: 'rr-default', rows: 2, disabled: !canEdit,
    value: current.default_reply && current.default_reply.type === 'text' ? current.default_reply.content : '' });
  const status = h('div');
  const keepNews = (text, stored) => (text.trim() ? { type: 'text', content: text }
    : (stored && stored.type === 'news' ? stored : null));
  const form = h('form', { class: 'card', id: 'welcome-form', onsubmit: async (e) => {
    e.preventDefault();
    const body = { welcome: keepNews(welcome.value, current.welcome) };
    if (kind === 'oa') body.default_reply = keepNews(fallback.value, current.default_reply);
    try {
      await api(path, { method: 'PUT', body });
      status.replaceChildren(notice('ok', t('rr_saved')));
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  } },
  h('h2', null, t('rr_welcome')),
  field(t(kind === 'oa' ? 'rr_welcome_oa' : 'rr_welcome_wecom'), welcome, t('rr_empty_removes')),
  kind === 'oa' ? field(t('rr_default'), fallback, t('rr_empty_removes')) : null,
  canEdit ? h('button', { type: 'submit', class: 'primary', id: 'rr-welcome-save' }, t('save')) : null, status);
  return form;
}

export default {
  id: 'replies',
  title: { zh: '自动回复与欢迎语', en: 'Replies & welcome' },
  role: 'viewer',
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const account = await api(`/accounts/${enc(ctx.account_id)}`);
    const canEdit = ctx.allowed('operator');
    const base = `/accounts/${enc(ctx.account_id)}/reply-rules`;
    root.appendChild(await welcomeForm(ctx.account_id, account.kind, canEdit));
    if (account.kind !== 'oa') { root.appendChild(notice('info', t('rr_wecom_no_rules'))); return; }
    if (canEdit) root.appendChild(testBox(base));
    const said = h('div');
    async function change(rule, button, how) {
      button.disabled = true;
      try {
        if (how === 'delete') {
          await api(`${base}/${enc(rule.rule_id)}`, { method: 'DELETE' });
        } else {
          const { match, keywords, reply, priority, name } = rule;
          await api(`${base}/${enc(rule.rule_id)}`, { method: 'PUT',
            body: { match, keywords, reply, priority, name: name || '', enabled: !rule.enabled } });
        }
        said.replaceChildren();
        list.reload();
      } catch (err) {
        said.replaceChildren(errorBox(err));
        button.disabled = false;
      }
    }
    const columns = [
      { key: 'name', label: t('rr_name') },
      { key: 'match', label: t('rr_match'), render: (r) => t('rr_match_' + r.match) },
      { key: 'keywords', label: t('rr_keywords'), render: (r) => h('span', null, r.keywords.join(' / '),
        r.refused_keywords ? h('span', { class: 'notice error' }, t('rr_refused'),
          r.refused_keywords.map((k) => `${k.keyword}: ${k.reason}`).join('; ')) : null) },
      { key: 'reply', label: t('rr_reply'), render: (r) => replyText(r.reply) },
      { key: 'priority', label: t('rr_priority'), class: 'num' },
      { key: 'enabled', label: t('rr_enabled'), render: (r) => t(r.enabled ? 'rr_yes' : 'rr_no') },
    ];
    if (canEdit) {
      columns.push({ key: 'actions', label: t('rr_actions'), render: (r) => {
        const toggle = h('button', { type: 'button', class: 'small secondary' }, t(r.enabled ? 'rr_toggle_off' : 'rr_toggle_on'));
        toggle.addEventListener('click', () => change(r, toggle, 'toggle'));
        const del = h('button', { type: 'button', class: 'small secondary', 'data-delete': r.rule_id }, t('rr_delete'));
        confirmStep(del, t('rr_delete_confirm'), () => change(r, del, 'delete'));
        return h('div', { class: 'actions' }, toggle, del);
      } });
    }
    const list = pager((cursor) => api(base, { query: { cursor } }),
      (items, container) => container.appendChild(table(columns, items)));
    root.append(h('h2', null, t('rr_rules')), said, list);
    if (canEdit) root.appendChild(ruleForm(base, () => list.reload()));
    await list.ready;
  },
};
