// The console's toolkit: API calls, a DOM builder that never parses data as HTML, tables, cursor paging,
// times, CSV downloads and charts. Every page module imports from here.
import { t, lang } from './i18n.js';

export { t, lang };

// --- the API

const session = { csrf: null }; // the CSRF token lives in memory only (re-read with GET /console/session)

export function setCsrf(token) { session.csrf = token || null; }

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (error && error.code) || 'http_' + status;
    this.details = (error && error.details) || null;
  }
}

function urlOf(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  return url.pathname + url.search;
}

// api(path, {method, body, query, raw}) -> the parsed JSON answer (null for 204); `raw: true` -> the Response.
// Throws ApiError carrying the API's {error: {code, message, details}}.
export async function api(path, { method = 'GET', body, query, raw = false, headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) init.headers['X-CSRF-Token'] = session.csrf;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(urlOf(path, query), init);
  if (!res.ok) {
    let error = null;
    try { error = (await res.json()).error; } catch { /* not JSON: keep the status */ }
    // a session that ended (expired, signed out elsewhere, key revoked): the shell shows the sign-in again
    if (res.status === 401 && !path.startsWith('/console/session')) {
      window.dispatchEvent(new CustomEvent('scrm:unauthorized'));
    }
    throw new ApiError(res.status, error);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

// --- the DOM: text only ever through textContent / text nodes

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'type', 'name', 'placeholder',
  'required', 'min', 'max', 'step', 'href', 'download', 'src', 'alt', 'htmlFor', 'colSpan', 'id', 'title',
  'readOnly', 'rows', 'cols', 'multiple', 'maxLength', 'tabIndex']);

// h('button', {class: 'primary', onclick: fn, dataset: {id}}, 'text', child, [more]) -> an Element.
// Children are Nodes or strings (text nodes); null/false are skipped; arrays are flattened. There is no way to
// pass HTML: a string is always text.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'href' || k === 'src') el.setAttribute(k, safeUrl(v));
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Links and images only to our own origin, blob:/data: images, or http(s): never javascript:.
function safeUrl(value) {
  const s = String(value);
  try {
    const u = new URL(s, window.location.origin);
    if (['http:', 'https:', 'blob:', 'data:'].includes(u.protocol) || s.startsWith('#')) return s;
  } catch { /* fall through */ }
  return '#';
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

// A message box (error or notice) with the API error's code and field details.
export function notice(kind, message, details) {
  const box = h('div', { class: ['notice', kind], role: kind === 'error' ? 'alert' : 'status' }, message);
  const errs = details && Array.isArray(details.errors) ? details.errors : null;
  if (errs) box.appendChild(h('ul', null, errs.map((e) => h('li', null, `${e.field || ''}: ${e.message || ''}`))));
  return box;
}

export function errorBox(err) {
  if (err instanceof ApiError) return notice('error', `${t('error')} (${err.code}): ${err.message}`, err.details);
  return notice('error', `${t('error')}: ${err && err.message ? err.message : err}`);
}

// --- tables and paging

// columns: [{key, label, render?(row) -> Node|string, class?}]; rows: objects.
export function table(columns, rows, { empty } = {}) {
  const head = h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label))));
  const body = h('tbody');
  for (const row of rows) {
    body.appendChild(h('tr', null, columns.map((c) => {
      const value = c.render ? c.render(row) : row[c.key];
      return h('td', { class: c.class, 'data-label': c.label }, value === undefined || value === null ? '' : value);
    })));
  }
  if (!rows.length) body.appendChild(h('tr', null, h('td', { colSpan: columns.length, class: 'empty' }, empty || t('empty'))));
  return h('div', { class: 'table-wrap' }, h('table', null, head, body));
}

// The API's cursor paging ({items, next_cursor}): loadPage(cursor) -> the answer; render(items, container).
// Shows one page at a time with 上一页/下一页, remembering the cursors walked so far.
export function pager(loadPage, render) {
  const root = h('div', { class: 'pager' });
  const content = h('div', { class: 'pager-content' });
  const prev = h('button', { type: 'button', class: 'secondary', onclick: () => go(index - 1) }, t('prev'));
  const next = h('button', { type: 'button', class: 'secondary', onclick: () => go(index + 1) }, t('next'));
  const where = h('span', { class: 'pager-where' });
  const cursors = [null];
  let index = 0;
  let loading = false;
  async function go(i) {
    if (loading || i < 0 || i >= cursors.length) return;
    loading = true;
    prev.disabled = next.disabled = true;
    try {
      const answer = await loadPage(cursors[i]);
      index = i;
      if (answer.next_cursor && cursors.length === i + 1) cursors.push(answer.next_cursor);
      clear(content);
      render(answer.items || [], content, answer);
      where.textContent = t('page_n').replace('{n}', index + 1);
      prev.disabled = index === 0;
      next.disabled = !answer.next_cursor;
    } catch (err) {
      clear(content).appendChild(errorBox(err));
    } finally {
      loading = false;
    }
  }
  root.append(content, h('div', { class: 'pager-nav' }, prev, where, next));
  root.reload = () => { cursors.length = 1; return go(0); };
  root.ready = go(0);
  return root;
}

// --- formatting, downloads, clipboard, charts

export function fmtTime(iso) {
  if (!iso) return '';
  const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(d);
}

function csvCell(value) {
  const s = value === null || value === undefined ? '' : String(value);
  // text starting with =, +, - or @ would be a formula in a spreadsheet: keep it text (numbers stay numbers)
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

// rows: arrays (the first one the header) or a string already in CSV; saved with a UTF-8 BOM so Excel reads Chinese.
export function downloadCsv(name, rows) {
  const text = typeof rows === 'string' ? rows : rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
  const blob = new Blob(['\uFEFF', text.replace(/^\uFEFF/, '')], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { value: text, readOnly: true, class: 'offscreen' });
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  if (button) {
    const label = button.textContent;
    button.textContent = t('copied');
    setTimeout(() => { button.textContent = label; }, 1500);
  }
}

let echartsLoading = null;
const ECHARTS = '/console/vendor/echarts@6.1.0/echarts.min.js';

// ECharts is loaded on first use (a classic script from our vendor folder: no CDN, no inline script).
function loadEcharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!echartsLoading) {
    echartsLoading = new Promise((resolve, reject) => {
      const s = h('script', { src: ECHARTS });
      s.addEventListener('load', () => resolve(window.echarts));
      s.addEventListener('error', () => reject(new Error('echarts did not load')));
      document.head.appendChild(s);
    });
  }
  return echartsLoading;
}

// chart(el, option) -> the echarts instance (resized with the window; disposed with chart.dispose()).
// User text in an option (series names, axis labels) is drawn on a canvas, never parsed as HTML; tooltips
// use the formatter below, which escapes.
export async function chart(el, option) {
  const echarts = await loadEcharts();
  const existing = echarts.getInstanceByDom(el);
  if (existing) existing.dispose();
  const instance = echarts.init(el, null, { renderer: 'canvas' });
  // no animation: a chart is read (and screenshotted) as drawn, never mid-way through a line growing in
  instance.setOption({ animation: false, tooltip: { trigger: 'axis', formatter: tooltip }, ...option });
  const onResize = () => instance.resize();
  window.addEventListener('resize', onResize);
  const dispose = instance.dispose.bind(instance);
  instance.dispose = () => { window.removeEventListener('resize', onResize); dispose(); };
  el.dataset.chartReady = String(Number(el.dataset.chartReady || 0) + 1);
  return instance;
}

// ECharts sets a tooltip formatter's string as HTML: build it from escaped text.
function tooltip(params) {
  const list = Array.isArray(params) ? params : [params];
  const head = list.length ? escapeHtml(list[0].axisValueLabel || list[0].name || '') : '';
  return [head, ...list.map((p) => `${escapeHtml(p.seriesName)}: ${escapeHtml(p.value)}`)].join('<br>');
}

export function escapeHtml(value) {
  return String(value === null || value === undefined ? '' : value)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// A labelled form field.
export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input,
    hint ? h('span', { class: 'field-hint' }, hint) : null);
}

// A key per submitted form, so a retried click creates one thing (the API honours Idempotency-Key).
export function idempotencyKey() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Figures as a definition list: [[label, value, id]] -> <dl class="figures"> with data-figure=id.
export function figures(rows) {
  return h('dl', { class: 'figures' }, rows.map(([label, value, id]) => h('div', { class: 'figure', 'data-figure': id },
    h('dt', null, label), h('dd', null, value === null || value === undefined ? '–' : String(value)))));
}

const accountKinds = new Map();

// Whether the account is a WeCom corp (asked once per account): pages of WeCom-only features (groups, moments,
// staff figures, loss alerts) stay out of an Official Account's nav.
export function isWecom(accountId) {
  if (!accountId) return Promise.resolve(false);
  if (!accountKinds.has(accountId)) {
    accountKinds.set(accountId, api(`/accounts/${encodeURIComponent(accountId)}`).then((a) => a.kind === 'wecom')
      .catch((err) => { accountKinds.delete(accountId); throw err; }));
  }
  return accountKinds.get(accountId);
}

// China days: today and n days before (YYYY-MM-DD), for a range's defaults.
export function chinaDay(offsetDays = 0) {
  const d = new Date(Date.now() + 8 * 3600 * 1000 + offsetDays * 86400 * 1000);
  return d.toISOString().slice(0, 10);
}
