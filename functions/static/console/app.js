// The console shell: sign-in, header (account picker, 中文/English, sign-out), the nav of the pages the role
// may see, and a hash router (#/<page>?<params>). Pages are ES modules listed in PAGES below.
import { api, clear, errorBox, h, notice, setCsrf, t } from './lib.js';
import { lang, setLang } from './i18n.js';
import { renderSignIn } from './signin.js';
import accounts from './page_accounts.js';
import channels from './page_channels.js';
import poster from './page_poster.js';
import stats from './page_stats.js';
import insight from './page_insight.js';
import replies from './page_replies.js';
import menus from './page_menus.js';
import segments from './page_segments.js';
import pushes from './page_pushes.js';
import campaigns from './page_campaigns.js';
import journeys from './page_journeys.js';
import reassignment from './page_reassignment.js';
import audit from './page_audit.js';
import keys from './page_keys.js';
import sandbox from './page_sandbox.js';
import tags from './page_tags.js';
import oaTags from './page_oa_tags.js';
import groups from './page_groups.js';
import moments from './page_moments.js';
import staff from './page_staff.js';
import alerts from './page_alerts.js';

// Every page of the console, in nav order. A page: export default {id, title: {zh, en}, role, nav?, available?,
// async render(root, ctx)} with ctx = {session, account_id, navigate(id, params), params (of the hash), allowed(role)}
// (role: 'viewer' | 'operator' | 'admin'); `nav: false` keeps it out of the nav (reached by a link, e.g. the poster);
// `available(ctx)` (async) is asked once per account: false keeps the page out (the local-only sandbox page).
// Page texts: addMessages({key: {zh, en}}) from i18n.js, then t('key'); DOM only through lib.js's h().
// Slots for the pages of the other areas (add the import above and the entry here):
//   page_replies.js, page_pushes.js, page_campaigns.js, page_reassignment.js, page_audit.js, page_keys.js,
//   page_sandbox.js
export const PAGES = [
  accounts,
  channels,
  stats,
  insight,
  replies,
  menus,
  segments,
  pushes,
  campaigns,
  journeys,
  reassignment,
  audit,
  keys,
  sandbox,
  poster,
  tags,
  oaTags,
  groups,
  moments,
  staff,
  alerts,
];

// scrm/tenancy.py ROLES ("read-only" < "operator" < "admin"); WeCom staff sessions say "viewer" for read-only.
const RANK = { viewer: 0, 'read-only': 0, operator: 1, admin: 2 };
const ACCOUNT_KEY = 'scrm.console.account';

export function allowed(session, pageRole) {
  if (!session) return false;
  if (session.platform) return true;
  return (RANK[session.role] ?? -1) >= (RANK[pageRole] ?? 99);
}

const state = { session: null, accountId: null, accounts: [], unavailable: new Set(), probed: null };
const root = document.getElementById('app');

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [id, query] = raw.split('?');
  return { id: id || PAGES[0].id, params: Object.fromEntries(new URLSearchParams(query || '')) };
}

export function navigate(id, params) {
  const query = new URLSearchParams(params || {}).toString();
  const hash = `#/${id}${query ? '?' + query : ''}`;
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

async function loadAccounts() {
  if (!state.session.platform) {
    state.accounts = state.session.account_id ? [{ account_id: state.session.account_id }] : [];
    state.accountId = state.session.account_id;
    return;
  }
  const found = [];
  let cursor = null;
  for (let i = 0; i < 5; i += 1) { // a platform key: the first 1,000 accounts in the picker
    const answer = await api('/accounts', { query: { limit: 200, cursor } });
    found.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  state.accounts = found;
  const kept = window.localStorage.getItem(ACCOUNT_KEY);
  state.accountId = found.some((a) => a.account_id === kept) ? kept : (found[0] ? found[0].account_id : null);
}

function header() {
  const s = state.session;
  const picker = h('select', {
    id: 'account-picker', 'aria-label': t('account'), disabled: !s.platform,
    onchange: (e) => {
      state.accountId = e.target.value;
      window.localStorage.setItem(ACCOUNT_KEY, state.accountId);
      route();
    },
  }, state.accounts.length ? state.accounts.map((a) => h('option', {
    value: a.account_id, selected: a.account_id === state.accountId,
  }, a.name ? `${a.name} (${a.account_id})` : a.account_id)) : h('option', { value: '' }, t('no_account')));
  return h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' + PAGES[0].id }, t('app_title')),
    h('label', { class: 'picker' }, h('span', null, t('account')), picker),
    h('span', { class: 'who', title: s.principal }, `${s.principal} · `,
      h('span', { class: 'role', id: 'role-badge' }, s.platform ? t('platform') : t('role_' + s.role.replace('-', '_')))),
    h('a', { class: 'docs-link', href: '/docs' }, t('api_docs')),
    h('button', { type: 'button', class: 'secondary', id: 'lang-switch', onclick: switchLang }, t('lang_switch')),
    h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: signOut }, t('sign_out')));
}

function nav(current) {
  return h('nav', { class: 'sidenav', 'aria-label': 'pages' },
    h('ul', null, PAGES.filter((p) => p.nav !== false && shown(p)).map((p) => h('li', null,
      h('a', { href: `#/${p.id}`, class: p.id === current ? 'active' : null, 'data-page': p.id }, t(p.title))))));
}

function shown(page) { return allowed(state.session, page.role) && !state.unavailable.has(page.id); }

// Pages that exist only somewhere (the sandbox control on the local stack) say so once per account.
async function probe() {
  if (state.probed === state.accountId) return;
  state.probed = state.accountId;
  state.unavailable = new Set();
  const ctx = { session: state.session, account_id: state.accountId };
  await Promise.all(PAGES.filter((p) => p.available && allowed(state.session, p.role)).map(async (p) => {
    if (!(await p.available(ctx).catch(() => false))) state.unavailable.add(p.id);
  }));
}

async function route() {
  if (!state.session) return;
  await probe();
  const { id, params } = parseHash();
  const page = PAGES.find((p) => p.id === id);
  const main = h('main', { class: 'content', id: 'page' });
  clear(root).append(header(), h('div', { class: 'body' }, nav(id), main));
  if (!page) { main.appendChild(notice('error', t('not_found'))); return; }
  if (!allowed(state.session, page.role)) { main.appendChild(notice('error', t('not_allowed'))); return; }
  if (state.unavailable.has(page.id)) { main.appendChild(notice('error', t('not_found'))); return; }
  document.title = `${t(page.title)} · ${t('app_title')}`;
  main.appendChild(h('h1', null, t(page.title)));
  const body = h('div', { class: 'page-body', 'data-page': page.id });
  main.appendChild(body);
  try {
    await page.render(body, { session: state.session, account_id: state.accountId, navigate, params, allowed:
      (role) => allowed(state.session, role) });
  } catch (err) {
    body.appendChild(errorBox(err));
  }
}

function switchLang() {
  setLang(lang() === 'en' ? 'zh' : 'en');
  if (state.session) route(); else start();
}

async function signOut() {
  try { await api('/console/session', { method: 'DELETE' }); } catch { /* signed out either way */ }
  state.session = null;
  setCsrf(null);
  showSignIn();
}

function showSignIn(message) {
  state.session = null;
  document.title = t('app_title');
  renderSignIn(clear(root), { message, onSignedIn: enter, onLang: switchLang });
}

async function enter(session) {
  state.session = session;
  state.probed = null;
  setCsrf(session.csrf_token);
  try {
    await loadAccounts();
  } catch (err) {
    clear(root).appendChild(errorBox(err));
    return;
  }
  route();
}

async function start() {
  setLang(lang());
  let session = null;
  try {
    session = await api('/console/session');
  } catch (err) {
    if (err.status !== 401) { clear(root).appendChild(errorBox(err)); return; }
  }
  if (session) await enter(session);
  else showSignIn();
}

window.addEventListener('hashchange', route);
window.addEventListener('scrm:unauthorized', () => { if (state.session) showSignIn(t('session_expired')); });
start();
