// Simplified Chinese first, English on request; the choice is kept in localStorage (it is no secret).
const KEY = 'scrm.console.lang';
const LANGS = ['zh', 'en'];

// Page modules add their own keys with addMessages({key: {zh, en}}).
const MESSAGES = {
  app_title: { zh: 'SCRM 管理后台', en: 'SCRM console' },
  loading: { zh: '加载中…', en: 'Loading…' },
  error: { zh: '出错了', en: 'Error' },
  empty: { zh: '暂无数据', en: 'Nothing here yet' },
  prev: { zh: '上一页', en: 'Previous' },
  next: { zh: '下一页', en: 'Next' },
  page_n: { zh: '第 {n} 页', en: 'Page {n}' },
  copy: { zh: '复制', en: 'Copy' },
  copied: { zh: '已复制', en: 'Copied' },
  save: { zh: '保存', en: 'Save' },
  cancel: { zh: '取消', en: 'Cancel' },
  create: { zh: '新建', en: 'Create' },
  refresh: { zh: '刷新', en: 'Refresh' },
  close: { zh: '关闭', en: 'Close' },
  print: { zh: '打印', en: 'Print' },
  sign_out: { zh: '退出登录', en: 'Sign out' },
  account: { zh: '账号', en: 'Account' },
  no_account: { zh: '（无账号）', en: '(no account)' },
  role: { zh: '角色', en: 'Role' },
  role_read_only: { zh: '只读', en: 'Viewer' },
  role_viewer: { zh: '只读', en: 'Viewer' },
  role_operator: { zh: '运营', en: 'Operator' },
  role_admin: { zh: '管理员', en: 'Admin' },
  platform: { zh: '平台', en: 'Platform' },
  lang_switch: { zh: 'English', en: '中文' },
  not_allowed: { zh: '你的角色无权查看此页。', en: 'Your role may not see this page.' },
  not_found: { zh: '没有这个页面。', en: 'No such page.' },
  pick_account: { zh: '请先选择账号。', en: 'Pick an account first.' },
  session_expired: { zh: '登录已过期，请重新登录。', en: 'Your session has ended: sign in again.' },
  api_docs: { zh: 'API 文档', en: 'API docs' },
  // sign-in
  signin_title: { zh: '登录管理后台', en: 'Sign in to the console' },
  signin_key: { zh: '管理密钥', en: 'Admin key' },
  signin_key_hint: { zh: '密钥只用于本次登录，不会保存在浏览器中。', en: 'The key is used to sign in once and never kept by the browser.' },
  signin_submit: { zh: '登录', en: 'Sign in' },
  signin_or: { zh: '或', en: 'or' },
  signin_wecom: { zh: '企业微信扫码登录', en: 'Sign in with WeCom (QR)' },
  signin_wecom_account: { zh: '企业微信账号 ID', en: 'WeCom account id' },
  signin_failed: { zh: '登录失败', en: 'Sign-in failed' },
};

export function addMessages(messages) { Object.assign(MESSAGES, messages); }

export function lang() {
  const stored = window.localStorage.getItem(KEY);
  return LANGS.includes(stored) ? stored : 'zh';
}

export function setLang(value) {
  window.localStorage.setItem(KEY, LANGS.includes(value) ? value : 'zh');
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
}

// t('key') -> the text in the current language; t({zh, en}) picks from an inline pair; unknown keys show as is.
export function t(key) {
  const entry = typeof key === 'object' && key !== null ? key : MESSAGES[key];
  if (!entry) return String(key);
  return entry[lang()] ?? entry.zh;
}
