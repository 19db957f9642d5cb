// User tags (用户标签) of an Official Account: WeChat's tags by id (the reserved ones, 星标组 …, marked system), a
// page at a time. Operators sync them from WeChat, create one (a name of at most 30 bytes of UTF-8, checked here
// before it is sent; the API's refusal shown at the field), rename one in its row and delete one after an in-page
// confirm; a tag that channels, pushes, segments or journeys still refer to is refused (409) with those references
// listed, and can then be deleted anyway (force=true) after a second confirm. Viewers read the table only.
import { addMessages } from './i18n.js';
import { actionButton } from './confirm.js';
import { api, errorBox, field, h, idempotencyKey, isWecom, notice, pager, t, table } from './lib.js';

addMessages({
  ot_intro: {
    zh: '公众号的用户标签由微信保存（每个公众号最多 100 个，标签名不超过 30 字节）。系统标签（如星标组）不能修改或删除。',
    en: 'WeChat keeps an Official Account\'s user tags (at most 100, names of at most 30 bytes). System tags (星标组 …) cannot be renamed or deleted.',
  },
  ot_id: { zh: '标签 ID', en: 'Tag id' },
  ot_name: { zh: '标签名', en: 'Name' },
  ot_system: { zh: '系统标签', en: 'System tag' },
  ot_yes: { zh: '是', en: 'Yes' },
  ot_no: { zh: '否', en: 'No' },
  ot_actions: { zh: '操作', en: 'Actions' },
  ot_fixed: { zh: '不可修改', en: 'Fixed' },
  ot_sync: { zh: '从微信同步', en: 'Sync from WeChat' },
  ot_synced: { zh: '已从微信同步：{tags} 个标签，移除 {removed} 个。', en: 'Synced from WeChat: {tags} tags, {removed} removed.' },
  ot_new: { zh: '新建标签', en: 'New tag' },
  ot_new_name: { zh: '标签名', en: 'Tag name' },
  ot_name_hint: { zh: '不超过 30 字节（一个汉字 3 字节）', en: 'At most 30 bytes (a Chinese character is 3)' },
  ot_bytes: { zh: '{n} / 30 字节', en: '{n} / 30 bytes' },
  ot_create: { zh: '创建', en: 'Create' },
  ot_created: { zh: '已创建标签「{name}」（ID {id}）。', en: 'Tag "{name}" created (id {id}).' },
  ot_blank: { zh: '请填写标签名。', en: 'Enter a name.' },
  ot_too_long: {
    zh: '标签名为 {n} 字节，超过 30 字节（一个汉字 3 字节）。',
    en: 'The name is {n} bytes: more than 30 (a Chinese character is 3).',
  },
  ot_rename: { zh: '重命名', en: 'Rename' },
  ot_rename_to: { zh: '新名称', en: 'New name' },
  ot_save: { zh: '保存', en: 'Save' },
  ot_cancel: { zh: '取消', en: 'Cancel' },
  ot_renamed: { zh: '已重命名为「{name}」。', en: 'Renamed to "{name}".' },
  ot_delete: { zh: '删除', en: 'Delete' },
  ot_delete_q: { zh: '在微信删除这个标签（粉丝身上的该标签一并取消），确定吗？', en: 'Delete this tag at WeChat (followers lose it too)?' },
  ot_deleted: { zh: '已删除标签「{name}」。', en: 'Tag "{name}" deleted.' },
  ot_in_use: {
    zh: '标签「{name}」仍被以下 {n} 处引用，未删除。可先修改它们，或仍然删除（它们将视该标签为已删除）。',
    en: 'Tag "{name}" was not deleted: {n} place(s) below refer to it. Change them first, or delete it anyway (they will show it as deleted).',
  },
  ot_ref_kind: { zh: '类型', en: 'Kind' },
  ot_ref_name: { zh: '名称', en: 'Name' },
  ot_ref_field: { zh: '字段', en: 'Field' },
  ot_ref_id: { zh: 'ID', en: 'Id' },
  ot_kind_channel: { zh: '渠道', en: 'Channel' },
  ot_kind_push: { zh: '推送', en: 'Push' },
  ot_kind_segment: { zh: '分群', en: 'Segment' },
  ot_kind_segment_rule: { zh: '分群（规则）', en: 'Segment (rule)' },
  ot_kind_journey: { zh: '旅程', en: 'Journey' },
  ot_kind_moment: { zh: '朋友圈', en: 'Moment' },
  ot_force: { zh: '仍然删除', en: 'Delete anyway' },
  ot_force_q: {
    zh: '上述引用将视该标签为已删除（渠道不再打这个标签，受众不再按它筛选），确定仍然删除吗？',
    en: 'The places above will show the tag as deleted (no longer applied, no longer selecting anyone). Delete it anyway?',
  },
  ot_dismiss: { zh: '不删除', en: 'Keep it' },
});

const enc = encodeURIComponent;
const MAX_BYTES = 30; // WeChat's limit on a tag's name (45158), in bytes of UTF-8
const PAGE_OF = { channel: 'channels', push: 'pushes', segment: 'segments', segment_rule: 'segments',
  journey: 'journeys', moment: 'moments' };

const bytesOf = (s) => new TextEncoder().encode(s).length;
const fill = (text, values) => Object.entries(values).reduce((s, [k, v]) => s.split(`{${k}}`).join(String(v)), text);
const kindName = (kind) => (t(`ot_kind_${kind}`) === `ot_kind_${kind}` ? kind : t(`ot_kind_${kind}`));

// The name's problem before anything is sent (blank, over 30 bytes), else null.
function nameProblem(name) {
  if (!name) return t('ot_blank');
  const n = bytesOf(name);
  return n > MAX_BYTES ? fill(t('ot_too_long'), { n }) : null;
}

// A message at an input (its label.field, or right after it); cleared with clearAt.
function showAt(input, message) {
  clearAt(input);
  input.classList.add('invalid');
  input.setAttribute('aria-invalid', 'true');
  const note = h('span', { class: 'field-error', 'data-error-for': input.name || '' }, message);
  const holder = input.closest('label.field');
  if (holder) holder.appendChild(note); else input.after(note);
}

function clearAt(input) {
  const holder = input.closest('label.field') || input.parentElement;
  if (holder) holder.querySelectorAll('.field-error').forEach((el) => el.remove());
  input.classList.remove('invalid');
  input.removeAttribute('aria-invalid');
}

// The API's refusal of a name (400 naming the field, 409 the name taken) at the input: true when shown there.
function refusalAt(input, err) {
  if (!err || (err.status !== 400 && err.status !== 409)) return false;
  const errs = err.details && Array.isArray(err.details.errors) ? err.details.errors : [];
  const own = errs.filter((e) => !e.field || e.field === 'name' || String(e.field).endsWith('.name'));
  // shown at the name's input, the message needs no "name: " in front
  const said = own.length ? own.map((e) => e.message).join('; ') : err.message;
  showAt(input, said.replace(/^name:\s*/, ''));
  return true;
}

export default {
  id: 'oa-tags',
  title: { zh: '用户标签', en: 'User tags' },
  role: 'viewer',
  // an Official Account's page: a WeCom corp's /oa-tags answer a 400 (its tags are the corp tags page)
  available: async (ctx) => Boolean(ctx.account_id) && !(await isWecom(ctx.account_id)),
  async render(root, ctx) {
    if (!ctx.account_id) { root.appendChild(notice('info', t('pick_account'))); return; }
    const base = `/accounts/${enc(ctx.account_id)}/oa-tags`;
    const canEdit = ctx.allowed('operator');
    const status = h('div', { id: 'oa-tags-status' });
    const refs = h('div', { id: 'oa-tags-refs' });
    const say = (kind, message) => status.replaceChildren(notice(kind, message));

    // ---- deleting, with the references of a refusal and the forced delete

    async function remove(tag, button, force = false) {
      status.replaceChildren();
      try {
        await api(`${base}/${enc(tag.tag_id)}`, { method: 'DELETE', query: force ? { force: 'true' } : {} });
      } catch (err) {
        if (!force && err.status === 409 && err.details && Array.isArray(err.details.references)) {
          showReferences(tag, err.details.references);
          button.disabled = false;
          return;
        }
        throw err;
      }
      refs.replaceChildren();
      say('ok', fill(t('ot_deleted'), { name: tag.name }));
      await list.reload();
    }

    function showReferences(tag, found) {
      const columns = [
        { key: 'kind', label: t('ot_ref_kind'), render: (r) => kindName(r.kind) },
        { key: 'name', label: t('ot_ref_name'), render: (r) => (PAGE_OF[r.kind]
          ? h('a', { href: `#/${PAGE_OF[r.kind]}` }, r.name || r.id) : (r.name || r.id)) },
        { key: 'field', label: t('ot_ref_field'), class: 'mono' },
        { key: 'id', label: t('ot_ref_id'), class: 'mono' },
      ];
      const shown = table(columns, found);
      shown.querySelectorAll('tbody tr').forEach((tr, i) => { if (found[i]) tr.dataset.refKind = found[i].kind; });
      const force = actionButton(t('ot_force'), { id: 'oa-tag-force' }, t('ot_force_q'),
        () => remove(tag, force, true), status);
      const keep = h('button', { type: 'button', class: 'secondary', id: 'oa-tag-keep',
        onclick: () => refs.replaceChildren() }, t('ot_dismiss'));
      refs.replaceChildren(h('div', { class: 'card', 'data-tag': tag.tag_id },
        notice('error', fill(t('ot_in_use'), { name: tag.name, n: found.length })), shown,
        h('div', { class: 'actions' }, force, keep)));
    }

    // ---- renaming in the row

    function renameForm(tag, box, button) {
      const input = h('input', { name: 'name', value: tag.name, id: `oa-tag-rename-input-${tag.tag_id}`,
        'aria-label': t('ot_rename_to') });
      const save = h('button', { type: 'submit', class: 'primary small', id: `oa-tag-rename-save-${tag.tag_id}` },
        t('ot_save'));
      const close = () => { box.replaceChildren(tag.name); button.disabled = false; };
      const cancel = h('button', { type: 'button', class: 'secondary small', onclick: close }, t('ot_cancel'));
      const form = h('form', { class: 'oa-tag-rename', novalidate: true, 'data-rename': tag.tag_id,
        onsubmit: async (e) => {
          e.preventDefault();
          clearAt(input);
          const name = input.value.trim();
          const problem = nameProblem(name);
          if (problem) { showAt(input, problem); return; }
          if (name === tag.name) { close(); return; }
          save.disabled = true;
          try {
            const renamed = await api(`${base}/${enc(tag.tag_id)}`, { method: 'PATCH', body: { name } });
            say('ok', fill(t('ot_renamed'), { name: renamed.name }));
            await list.reload();
          } catch (err) {
            if (!refusalAt(input, err)) status.replaceChildren(errorBox(err));
            save.disabled = false;
          }
        } }, input, save, cancel);
      box.replaceChildren(form);
      button.disabled = true;
      input.focus();
    }

    // ---- the table

    const columns = [
      { key: 'tag_id', label: t('ot_id'), class: 'mono' },
      { key: 'name', label: t('ot_name'), render: (r) => h('span', { class: 'oa-tag-name' }, r.name) },
      { key: 'system', label: t('ot_system'), render: (r) => (r.system
        ? h('span', { class: 'role' }, t('ot_yes')) : t('ot_no')) },
    ];
    if (canEdit) {
      columns.push({ key: 'actions', label: t('ot_actions'), render: (r) => {
        if (r.system) return h('span', { class: 'field-hint' }, t('ot_fixed'));
        const rename = h('button', { type: 'button', class: 'secondary small', id: `oa-tag-rename-${r.tag_id}`,
          'data-rename-tag': r.tag_id }, t('ot_rename'));
        const del = actionButton(t('ot_delete'), { id: `oa-tag-delete-${r.tag_id}` }, t('ot_delete_q'),
          () => remove(r, del), status);
        del.classList.add('small');
        del.dataset.deleteTag = r.tag_id;
        rename.addEventListener('click', () => {
          const box = rename.closest('tr').querySelector('.oa-tag-name');
          if (box) renameForm(r, box, rename);
        });
        return h('div', { class: 'actions' }, rename, del);
      } });
    }
    const list = pager((cursor) => api(base, { query: { limit: 100, cursor } }), (items, container) => {
      const shown = table(columns, items);
      shown.id = 'oa-tags-table';
      // each row says its tag (a test or a reader finds tag 2 without parsing the cells)
      shown.querySelectorAll('tbody tr').forEach((tr, i) => {
        if (items[i]) {
          tr.dataset.tag = items[i].tag_id;
          tr.dataset.system = String(Boolean(items[i].system));
        }
      });
      container.appendChild(shown);
    });

    root.append(notice('info', t('ot_intro')));
    if (canEdit) {
      // ---- sync and create (operators)
      const sync = actionButton(t('ot_sync'), { id: 'oa-tags-sync' }, null, async () => {
        status.replaceChildren();
        refs.replaceChildren();
        const done = await api(`${base}/sync`, { method: 'POST' });
        say('ok', fill(t('ot_synced'), { tags: done.tags, removed: done.removed }));
        await list.reload();
        sync.disabled = false;
      }, status);

      const input = h('input', { id: 'oa-tags-name', name: 'name', placeholder: '金卡会员', autocomplete: 'off' });
      const counter = h('span', { class: 'field-hint', id: 'oa-tags-bytes' }, fill(t('ot_bytes'), { n: 0 }));
      input.addEventListener('input', () => {
        const n = bytesOf(input.value.trim());
        counter.textContent = fill(t('ot_bytes'), { n });
        counter.classList.toggle('over', n > MAX_BYTES);
        clearAt(input);
      });
      const submit = h('button', { type: 'submit', class: 'primary', id: 'oa-tags-submit' }, t('ot_create'));
      const formStatus = h('div', { id: 'oa-tags-create-status' });
      const nameField = field(t('ot_new_name'), input, t('ot_name_hint'));
      nameField.appendChild(counter);
      let key = null;
      let keyFor = null;
      const create = h('form', { class: 'card', id: 'oa-tags-create', novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        clearAt(input);
        formStatus.replaceChildren();
        const name = input.value.trim();
        const problem = nameProblem(name);
        if (problem) { showAt(input, problem); return; } // nothing is sent
        if (keyFor !== name) { key = idempotencyKey(); keyFor = name; } // a retried click: one tag
        submit.disabled = true;
        try {
          const made = await api(base, { method: 'POST', body: { name }, headers: { 'Idempotency-Key': key } });
          keyFor = null;
          input.value = '';
          counter.textContent = fill(t('ot_bytes'), { n: 0 });
          formStatus.replaceChildren(notice('ok', fill(t('ot_created'), { name: made.name, id: made.tag_id })));
          await list.reload();
        } catch (err) {
          if (!refusalAt(input, err)) formStatus.replaceChildren(errorBox(err));
        } finally {
          submit.disabled = false;
        }
      } }, h('h2', null, t('ot_new')), nameField, formStatus, h('div', { class: 'actions' }, submit));
      root.append(create, h('div', { class: 'toolbar' }, sync));
    }
    root.append(status, refs, list);
    await list.ready;
  },
};
