// The members-only group code's verification page. No inline script (CSP script-src 'self'); text goes through
// textContent. Flow: sign in through WeChat (snsapi_base on the code's Official Account: our API builds the
// authorize URL, a random state is kept in sessionStorage and checked on return, the code is exchanged at
// POST /u/{account}/member-codes/{code}/oauth, the user token kept in sessionStorage), then member id + phone at
// POST …/verify; a match answers the group's QR as a data: URI.
(function () {
  "use strict";
  var TEXT = {
    zh: {
      loading: "加载中…", lead: "本群仅限会员加入。请输入会员号和注册手机号完成验证，验证通过后即可扫码入群。",
      sign_in: "微信登录", member_id: "会员号", phone: "手机号", verify: "验证并入群", verified: "验证成功",
      scan_hint: "长按识别二维码加入会员群。", qr: "群二维码", title: "会员专属群",
      member_mismatch: "会员号与手机号不匹配，请核对后重试。",
      too_many_tries: "尝试次数过多，请一小时后再试。",
      bad_phone: "请输入 11 位手机号。", bad_member_id: "请输入会员号。",
      sign_in_needed: "请先通过微信登录。", bad_oauth_code: "登录已失效，请重新登录。",
      state_mismatch: "登录校验失败，请重新登录。", unknown_code: "该入群码不存在或已停用。",
      network: "网络异常，请稍后再试。", error: "出错了：{m}", busy: "验证中…",
      privacy: "{controller}（企业微信）收集你填写的会员号和手机号，仅用于核对你是否为其会员、以向你展示会员群的入群码；" +
        "手机号只以加密摘要保存、不保存号码本身，验证记录可按你的要求导出或删除。",
      consent: "我已阅读并同意上述个人信息说明", consent_required: "请先阅读并勾选同意个人信息说明。"
    },
    en: {
      loading: "Loading…", lead: "This group is for members only. Enter your member number and registered phone to " +
        "verify; then scan the code to join.",
      sign_in: "Sign in with WeChat", member_id: "Member number", phone: "Phone", verify: "Verify and join",
      verified: "Verified", scan_hint: "Press and hold the QR code to join the members' group.", qr: "Group QR code",
      title: "Members' group",
      member_mismatch: "The member number and phone do not match; check them and try again.",
      too_many_tries: "Too many tries; try again in an hour.",
      bad_phone: "Enter an 11-digit mobile number.", bad_member_id: "Enter your member number.",
      sign_in_needed: "Sign in through WeChat first.", bad_oauth_code: "Your sign-in expired; sign in again.",
      state_mismatch: "The sign-in could not be checked; sign in again.",
      unknown_code: "This group code does not exist or is no longer active.",
      network: "Network error; please try again.", error: "Something went wrong: {m}", busy: "Checking…",
      privacy: "{controller} (WeCom) collects the member number and phone you enter only to check that you are its " +
        "member and to show you the members' group code; the phone is kept only as a keyed digest, never the " +
        "number, and the verification can be exported or erased at your request.",
      consent: "I have read and agree to the notice above",
      consent_required: "Read and tick your agreement to the personal information notice first."
    }
  };

  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") === "en" ? "en" : (params.get("lang") === "zh" ? "zh" : null);
  try { lang = lang || sessionStorage.getItem("scrm.lang") || "zh"; } catch (e) { lang = lang || "zh"; }

  // /<stage?>/m/<account>/<code>: the API sits under the same prefix
  var match = location.pathname.match(/^(.*)\/m\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\/?$/);
  if (!match) { return; }
  var base = match[1], account = match[2], codeId = match[3];
  var api = base + "/u/" + encodeURIComponent(account) + "/member-codes/" + encodeURIComponent(codeId);
  var tokenKey = "scrm.mtoken." + account + "." + codeId, stateKey = "scrm.moauth.state." + account + "." + codeId;
  var state = { code: null, token: null, busy: false, noticeKey: null };

  function t(key, vars) {
    var s = (TEXT[lang] && TEXT[lang][key]) || TEXT.zh[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }

  function applyLang() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    $("title").textContent = (state.code && state.code.name) || t("title");
    // the data controller is the company's WeCom account the group belongs to, named by the API
    var controller = state.code && state.code.controller && state.code.controller.name;
    $("privacy").textContent = controller ? t("privacy", { controller: controller }) : "";
    $("qr").alt = t("qr");
    $("lang").textContent = lang === "en" ? "中文" : "EN";
    $("lang").setAttribute("aria-label", lang === "en" ? "中文" : "English");
    if (state.noticeKey) { notice(t(state.noticeKey), { code: state.noticeKey, signIn: !$("sign-in").hidden }); }
  }

  function notice(text, opts) {
    opts = opts || {};
    $("notice-text").textContent = text || "";
    $("notice").hidden = !text;
    $("sign-in").hidden = !opts.signIn;
    $("notice").setAttribute("data-code", opts.code || "");
  }

  function randomId(bytes) {
    var a = new Uint8Array(bytes);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function store(key, value) {
    try { if (value === null) { sessionStorage.removeItem(key); } else { sessionStorage.setItem(key, value); } }
    catch (e) { /* private mode: the page still works for this visit */ }
  }
  function read(key) { try { return sessionStorage.getItem(key); } catch (e) { return null; } }

  function call(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (state.token) { headers["Authorization"] = "Bearer " + state.token; }
    return fetch(path, { method: method, headers: headers, credentials: "omit", cache: "no-store",
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (res.ok) { return data; }
          var err = new Error((data.error && data.error.message) || ("HTTP " + res.status));
          err.status = res.status;
          err.code = (data.error && data.error.code) || "error";
          throw err;
        });
      }, function () { throw Object.assign(new Error("network"), { code: "network" }); });
  }

  function pageUrl() {  // this page without WeChat's code/state and without the fragment
    var u = new URL(location.href);
    u.searchParams.delete("code");
    u.searchParams.delete("state");
    u.hash = "";
    return u.toString();
  }

  function signIn() {
    var st = randomId(16);
    store(stateKey, st);
    var q = "?redirect_uri=" + encodeURIComponent(pageUrl().split("?")[0]) + "&state=" + encodeURIComponent(st);
    return call("GET", api + "/authorize-url" + q).then(function (data) { location.assign(data.url); }, showError);
  }

  function takeToken() {
    var code = params.get("code"), returned = params.get("state");
    if (code) {
      var expected = read(stateKey);
      store(stateKey, null);
      history.replaceState(null, "", pageUrl());  // the one-time code leaves the address bar at once
      if (!expected || expected !== returned) {
        return Promise.reject(Object.assign(new Error("state"), { code: "state_mismatch" }));
      }
      return call("POST", api + "/oauth", { code: code }).then(function (data) {
        store(tokenKey, data.token);
        return data.token;
      });
    }
    return Promise.resolve(read(tokenKey));
  }

  function showError(err) {
    var code = err.code || "error";
    if (err.status === 401 && code !== "bad_oauth_code") { code = "sign_in_needed"; state.token = null; store(tokenKey, null); }
    var known = TEXT.zh[code] !== undefined && code !== "error";
    state.noticeKey = known ? code : null;
    notice(known ? t(code) : t("error", { m: err.message }), {
      code: code, signIn: code === "sign_in_needed" || code === "bad_oauth_code" || code === "state_mismatch"
    });
  }

  function showCode(answer) {
    $("verify").hidden = true;
    $("qr").src = answer.qr_image;
    $("joined").hidden = false;
    state.noticeKey = null;
    notice("");
    $("app").setAttribute("data-state", "verified");
  }

  function submit(ev) {
    ev.preventDefault();
    if (state.busy) { return; }
    var memberId = $("member-id").value.trim(), phone = $("phone").value.replace(/[\s-]/g, "");
    if (!memberId) { showError({ code: "bad_member_id" }); return; }
    if (!/^(\+?86)?1[3-9]\d{9}$/.test(phone)) { showError({ code: "bad_phone" }); return; }
    if (!$("consent").checked) { showError({ code: "consent_required" }); return; }
    state.busy = true;
    $("submit").disabled = true;
    $("submit").textContent = t("busy");
    call("POST", api + "/verify", { member_id: memberId, phone: phone, consent: true }).then(showCode, showError).then(function () {
      state.busy = false;
      $("submit").disabled = false;
      $("submit").textContent = t("verify");
    });
  }

  $("lang").addEventListener("click", function () {
    lang = lang === "en" ? "zh" : "en";
    store("scrm.lang", lang);
    applyLang();
  });
  $("sign-in").addEventListener("click", signIn);
  $("verify").addEventListener("submit", submit);
  applyLang();

  var returning = params.has("code");
  call("GET", api).then(function (c) {
    state.code = c;
    applyLang();
    return takeToken().then(function (token) {
      if (!token) {
        if (!returning) { return signIn(); }  // WeChat signs snsapi_base in silently: go at once
        showError({ code: "sign_in_needed", status: 401 });
        return null;
      }
      state.token = token;
      $("verify").hidden = false;
      $("app").setAttribute("data-state", "ready");
      return null;
    });
  }).catch(function (err) {
    $("app").setAttribute("data-state", "error");
    showError(err);
  });
})();
