// The campaign page (H5 in WeChat's browser). Everything shown comes from the /u/ API; every text goes in through
// textContent (never innerHTML). Flow: sign in through WeChat (snsapi_base: our API builds the authorize URL, a
// random state is kept in sessionStorage and checked on return, the code is exchanged at POST /u/{account}/oauth and
// the signed user token kept in sessionStorage), then the wheel, coupon codes and share-to-win.
(function () {
  "use strict";

  var TEXT = {
    zh: {
      loading: "加载中…", spin: "开始抽奖", spinning: "抽奖中…", sign_in: "微信登录", my_prizes: "我的奖品",
      share_title: "邀请好友", copy: "复制", copied: "已复制", copy_failed: "复制失败，请长按选择复制",
      share_hint: "点击右上角“…”分享给朋友或朋友圈，好友打开即计入。", prize_list: "奖品",
      follow_hint: "长按识别公众号二维码关注，或在微信中搜索公众号名称关注后，回到本页再试。",
      follow_qr: "公众号二维码",
      thanks: "谢谢参与", won: "恭喜！你抽中了：{name}", lost: "很遗憾，没有抽中，再接再厉！",
      draws_left: "剩余抽奖次数：{n}", draws_unlimited: "抽奖次数不限",
      invited: "已邀请 {n}/{m} 位好友", invited_done: "已邀请 {n} 位好友，奖励已全部领取",
      reward_draws: "可再得 {n} 次抽奖机会", reward_prize: "可得奖品",
      period: "活动时间：{a} 至 {b}", points: "{n} 积分", code: "券码",
      not_following: "请先关注公众号，再来参加抽奖。",
      not_customer: "本活动仅限企业微信客户参加。",
      channel_or_tag_not_eligible: "本活动仅限指定渠道的用户参加。",
      daily_draw_limit: "今天的抽奖次数已用完，明天再来吧。",
      total_draw_limit: "你的抽奖次数已用完，邀请好友可获得更多机会。",
      not_started: "活动尚未开始，敬请期待。", ended: "活动已结束，感谢关注。",
      campaign_not_active: "活动未开放。", unknown_campaign: "活动不存在或尚未发布。",
      unknown_account: "活动不存在。", account_disabled: "活动已暂停。",
      rate_limited: "参与的人太多了，请稍后再试。", bad_oauth_code: "登录已失效，请重新登录。",
      state_mismatch: "登录校验失败，请重新登录。", network: "网络不太好，请稍后再试。",
      sign_in_needed: "请先通过微信登录。", error: "出错了：{m}",
      vote: "投票", voting: "投票中…", voted: "投票成功！", votes_left: "今日剩余票数：{n}",
      results_title: "实时结果", results_total: "共 {v} 票，{p} 人参与", n_votes: "{n} 票",
      daily_vote_limit: "今天的票已经投完了，明天再来吧。", option_vote_limit: "今天已经给这个选项投过票了，换一个吧。",
      unknown_option: "这个选项不存在，请刷新页面。", not_a_vote_campaign: "本活动不是投票活动。",
      not_following_vote: "请先关注公众号，再来参加投票。"
    },
    en: {
      loading: "Loading…", spin: "Spin", spinning: "Spinning…", sign_in: "Sign in with WeChat", my_prizes: "My prizes",
      share_title: "Invite friends", copy: "Copy", copied: "Copied", copy_failed: "Copy failed; press and hold to copy",
      share_hint: "Tap “…” at the top right to share with a friend or to Moments; each friend who opens it counts.",
      prize_list: "Prizes",
      follow_hint: "Press and hold the QR code to follow the account (or search for it in WeChat), then come back.",
      follow_qr: "The Official Account's QR code",
      thanks: "Thanks for playing", won: "Congratulations! You won: {name}", lost: "No prize this time. Try again!",
      draws_left: "Draws left: {n}", draws_unlimited: "Unlimited draws",
      invited: "Invited {n}/{m} friends", invited_done: "Invited {n} friends; every reward granted",
      reward_draws: "reward: {n} more draws", reward_prize: "reward: a prize",
      period: "From {a} to {b}", points: "{n} points", code: "Code",
      not_following: "Please follow the Official Account first, then come back to draw.",
      not_customer: "This campaign is for our WeCom customers only.",
      channel_or_tag_not_eligible: "This campaign is for invited users only.",
      daily_draw_limit: "No draws left today. Come back tomorrow!",
      total_draw_limit: "You have used all your draws. Invite friends to earn more.",
      not_started: "The campaign has not started yet.", ended: "The campaign is over. Thank you!",
      campaign_not_active: "The campaign is not open.", unknown_campaign: "No such campaign.",
      unknown_account: "No such campaign.", account_disabled: "The campaign is paused.",
      rate_limited: "Too many people right now; please try again.", bad_oauth_code: "Your sign-in expired; sign in again.",
      state_mismatch: "Sign-in check failed; sign in again.", network: "Network trouble; please try again.",
      sign_in_needed: "Please sign in with WeChat first.", error: "Something went wrong: {m}",
      vote: "Vote", voting: "Voting…", voted: "Thanks for voting!", votes_left: "Votes left today: {n}",
      results_title: "Live results", results_total: "{v} votes from {p} people", n_votes: "{n} votes",
      daily_vote_limit: "No votes left today. Come back tomorrow!",
      option_vote_limit: "You have voted for this option today; pick another.",
      unknown_option: "No such option; reload the page.", not_a_vote_campaign: "This campaign is not a vote.",
      not_following_vote: "Please follow the Official Account first, then come back to vote."
    }
  };

  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") === "en" ? "en" : (params.get("lang") === "zh" ? "zh" : null);
  try { lang = lang || sessionStorage.getItem("scrm.lang") || "zh"; } catch (e) { lang = lang || "zh"; }

  // /<stage?>/c/<account>/<campaign>: the API sits under the same prefix
  var match = location.pathname.match(/^(.*)\/c\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\/?$/);
  if (!match) { return; }
  var base = match[1], account = match[2], campaignId = match[3];
  var api = base + "/u/" + encodeURIComponent(account);
  var campaignApi = api + "/campaigns/" + encodeURIComponent(campaignId);
  var tokenKey = "scrm.token." + account, stateKey = "scrm.oauth.state." + account;

  var state = { campaign: null, prizes: [], token: null, busy: false, angle: 0, share: null, me: null };

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
    $("follow-qr").alt = t("follow_qr");
    $("lang").textContent = lang === "en" ? "中文" : "EN";
    $("lang").setAttribute("aria-label", lang === "en" ? "中文" : "English");
    if (state.campaign) { renderCampaign(); }
    if (state.me) { renderMe(); }
  }

  function toast(text) {
    var el = $("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 1800);
  }

  function notice(text, opts) {
    opts = opts || {};
    $("notice-text").textContent = text;
    $("notice").hidden = !text;
    $("follow").hidden = !opts.follow;
    showFollowCode(!!opts.follow);
    $("sign-in").hidden = !opts.signIn;
    $("notice").setAttribute("data-code", opts.code || "");
  }

  // the campaign's follow code (its follow channel's QR, GET …/follow-qr.svg), when the campaign names one
  function showFollowCode(show) {
    var img = $("follow-qr");
    var has = show && !img.failed && !!(state.campaign && state.campaign.api && state.campaign.api.follow_qr);
    if (has && !img.getAttribute("src")) { img.src = campaignApi + "/follow-qr.svg"; }
    img.hidden = !has;
  }

  function randomId(bytes) {
    var a = new Uint8Array(bytes);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function store(key, value) {
    try { if (value === null) { sessionStorage.removeItem(key); } else { sessionStorage.setItem(key, value); } }
    catch (e) { /* private mode: the page still works for this visit */ }
  }
  function read(key) { try { return sessionStorage.getItem(key); } catch (e) { return null; } }

  // ---------------------------------------------------------------- the API
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
      }, function () {
        var err = new Error("network");
        err.code = "network";
        throw err;
      });
  }

  // ---------------------------------------------------------------- signing in
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
    var q = "?redirect_uri=" + encodeURIComponent(pageUrl()) + "&state=" + encodeURIComponent(st);
    return call("GET", api + "/oauth/authorize-url" + q).then(function (data) {
      location.assign(data.url);
    }, function (err) { showError(err); });
  }

  function takeToken() {
    // a signed link from a message carries its token in the fragment (#t=...), never in the query
    var hash = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (hash.get("t")) {
      store(tokenKey, hash.get("t"));
      history.replaceState(null, "", pageUrl());
    }
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

  // ---------------------------------------------------------------- the wheel
  var COLORS = ["#ffd7a8", "#ffb36b", "#ffe9cf", "#ff9a4d"];

  function segments() {
    var list = state.prizes.slice();
    if (!list.some(function (p) { return p.kind === "thanks"; })) {
      list.push({ prize_id: "", name: t("thanks"), kind: "thanks" });  // where "nothing" lands
    }
    return list;
  }

  function drawWheel() {
    var canvas = $("wheel"), ctx = canvas.getContext && canvas.getContext("2d");
    if (!ctx) { return; }
    var segs = segments(), n = segs.length, r = canvas.width / 2, step = 2 * Math.PI / n;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    segs.forEach(function (p, i) {
      var start = -Math.PI / 2 - step / 2 + i * step;  // segment i is centred at the top when the wheel is at 0
      ctx.beginPath();
      ctx.moveTo(r, r);
      ctx.arc(r, r, r - 4, start, start + step);
      ctx.closePath();
      ctx.fillStyle = COLORS[i % COLORS.length];
      ctx.fill();
      ctx.save();
      ctx.translate(r, r);
      ctx.rotate(start + step / 2 + Math.PI / 2);
      ctx.fillStyle = "#5a2d0c";
      ctx.font = "600 30px sans-serif";
      ctx.textAlign = "center";
      var label = p.name.length > 8 ? p.name.slice(0, 7) + "…" : p.name;
      ctx.fillText(label, 0, -r * 0.62);
      ctx.restore();
    });
  }

  function spinTo(index, done) {
    var n = segments().length, step = 360 / n;
    var jitter = (Math.random() - 0.5) * step * 0.6;
    var target = 360 - index * step + jitter;  // bring segment `index` under the pointer
    var current = state.angle % 360;
    state.angle = state.angle - current + 360 * 5 + target;
    var wheel = $("wheel"), finished = false;
    function end() { if (!finished) { finished = true; done(); } }
    wheel.addEventListener("transitionend", end, { once: true });
    setTimeout(end, 3000);  // no transition (reduced motion, hidden tab): finish anyway
    wheel.style.transform = "rotate(" + state.angle + "deg)";
  }

  function spin() {
    if (state.busy) { return; }  // a second tap while a draw runs draws nothing
    if (!state.token) { notice(t("sign_in_needed"), { signIn: true }); return; }
    state.busy = true;
    var button = $("spin");
    button.disabled = true;
    button.textContent = t("spinning");
    $("result").textContent = "";
    $("result").setAttribute("data-state", "spinning");
    var requestId = randomId(16);  // one per tap: a retry of this request is the same draw
    call("POST", campaignApi + "/draws", { request_id: requestId }).then(function (draw) {
      var segs = segments(), index = segs.length - 1;
      if (draw.prize) {
        segs.forEach(function (p, i) { if (p.prize_id === draw.prize.prize_id) { index = i; } });
      } else {
        segs.forEach(function (p, i) { if (p.kind === "thanks") { index = i; } });
      }
      spinTo(index, function () {
        var won = draw.outcome === "win" && draw.prize && draw.prize.kind !== "thanks";
        $("result").textContent = won ? t("won", { name: draw.prize.name }) : t("lost");
        $("result").setAttribute("data-state", won ? "won" : "lost");
        $("result").setAttribute("data-draw-id", draw.draw_id || "");
        finishSpin();
        loadMe();
      });
    }, function (err) {
      $("result").setAttribute("data-state", "refused");
      finishSpin();
      showError(err);
    });
  }

  function finishSpin() {
    state.busy = false;
    var button = $("spin");
    button.textContent = t("spin");
    button.disabled = !state.token;
  }

  // ---------------------------------------------------------------- what the page shows
  function day(iso) { return iso ? iso.slice(0, 10) : ""; }

  // ---------------------------------------------------------------- a vote campaign
  function isVote() { return !!(state.campaign && state.campaign.kind === "vote"); }

  function imageUrl(src) {  // an https URL as given, a media path under this page's prefix; anything else: none
    if (/^https:\/\//.test(src)) { return src; }
    if (/^\/(media|static)\//.test(src) && src.indexOf("..") < 0) { return base + src; }
    return null;
  }

  function renderOptions() {
    var list = $("options");
    list.textContent = "";
    (state.campaign.options || []).forEach(function (o) {
      var li = document.createElement("li");
      li.className = "option";
      li.setAttribute("data-option", o.option_id);
      var src = o.image && imageUrl(o.image);
      if (src) {
        var img = document.createElement("img");
        img.alt = o.title;
        img.loading = "lazy";
        img.referrerPolicy = "no-referrer";
        img.addEventListener("error", function () { img.hidden = true; });
        img.src = src;
        li.appendChild(img);
      }
      var h = document.createElement("h3");
      h.textContent = o.title;  // text, never markup
      li.appendChild(h);
      if (o.description) {
        var d = document.createElement("p");
        d.textContent = o.description;
        li.appendChild(d);
      }
      var count = document.createElement("p");
      count.className = "count";
      count.hidden = true;
      li.appendChild(count);
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "vote";
      btn.textContent = t("vote");
      btn.addEventListener("click", function () { castVote(o.option_id); });
      li.appendChild(btn);
      list.appendChild(li);
    });
    renderVoteButtons();
    if (state.results) { renderResults(); }
  }

  function renderVoteButtons() {
    var v = state.me && state.me.votes;
    var left = v ? v.votes_left : null;
    $("votes-left").textContent = left === null ? "" : t("votes_left", { n: left });
    Array.prototype.forEach.call(document.querySelectorAll("#options .option"), function (li) {
      var btn = li.querySelector("button.vote");
      var id = li.getAttribute("data-option");
      var done = !!(v && v.one_per_option && v.options_today.indexOf(id) >= 0);
      btn.disabled = !state.token || state.busy || left === 0 || done || closed();
      btn.textContent = state.busy && state.voting === id ? t("voting") : t("vote");
    });
  }

  function closed() {  // over, or not open (the API says so too; the page does not offer what it would refuse)
    var c = state.campaign;
    return c.status === "ended" || (c.ends_at && Date.now() >= Date.parse(c.ends_at));
  }

  function castVote(optionId) {
    if (state.busy) { return; }  // a double tap while a vote runs casts nothing more
    if (!state.token) { notice(t("sign_in_needed"), { signIn: true }); return; }
    // the same request id for a retry of the same option (a lost answer counts once), a new one otherwise
    if (!state.pending || state.pending.option !== optionId) {
      state.pending = { option: optionId, id: "v-" + randomId(12) };
    }
    state.busy = true;
    state.voting = optionId;
    renderVoteButtons();
    call("POST", campaignApi + "/votes", { option_id: optionId, request_id: state.pending.id }).then(function (r) {
      state.pending = null;
      notice("");
      toast(t("voted"));
      if (state.me && state.me.votes) {
        state.me.votes.votes_left = r.votes_left;
        if (state.me.votes.options_today.indexOf(optionId) < 0) { state.me.votes.options_today.push(optionId); }
      }
      return loadResults();
    }, function (err) {
      if (err.code !== "network" && err.code !== "rate_limited") { state.pending = null; }
      showError(err);
    }).then(function () {
      state.busy = false;
      state.voting = null;
      renderVoteButtons();
    });
  }

  function loadResults() {
    return call("GET", campaignApi + "/results").then(function (r) {
      state.results = r;
      renderResults();
    }, function () { /* the counts come back with the next vote */ });
  }

  function renderResults() {
    var r = state.results;
    $("results").hidden = false;
    $("results-total").textContent = t("results_total", { v: r.votes, p: r.voters });
    var list = $("results-list");
    list.textContent = "";
    r.options.forEach(function (o) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = o.title;
      var n = document.createElement("span");
      n.textContent = t("n_votes", { n: o.votes });
      var bar = document.createElement("progress");
      bar.max = Math.max(1, r.votes);
      bar.value = o.votes;
      li.appendChild(name);
      li.appendChild(n);
      li.appendChild(bar);
      list.appendChild(li);
      var card = document.querySelector('#options .option[data-option="' + cssId(o.option_id) + '"] .count');
      if (card) { card.textContent = t("n_votes", { n: o.votes }); card.hidden = false; }
    });
  }

  function cssId(id) { return String(id).replace(/[^a-z0-9_-]/g, ""); }  // option ids are [a-z0-9_-]

  function renderCampaign() {
    var c = state.campaign;
    document.title = c.name;
    $("wheel-box").hidden = isVote();
    $("prizes-card").hidden = isVote();
    $("vote-box").hidden = !isVote();
    if (isVote()) {
      $("title").textContent = c.name;
      $("period").textContent = t("period", { a: day(c.starts_at), b: day(c.ends_at) });
      renderOptions();
      if (closed()) { notice(t("ended"), { code: "ended" }); }
      return;
    }
    $("title").textContent = c.name;
    $("period").textContent = t("period", { a: day(c.starts_at), b: day(c.ends_at) });
    var list = $("prize-list");
    list.textContent = "";
    state.prizes.forEach(function (p) {
      if (p.kind === "thanks") { return; }
      var li = document.createElement("li");
      li.textContent = p.name;
      list.appendChild(li);
    });
    drawWheel();
  }

  function copy(text, input) {
    function ok() { toast(t("copied")); }
    function fallback() {
      try {
        input.focus();
        input.select();
        if (document.execCommand("copy")) { ok(); } else { toast(t("copy_failed")); }
      } catch (e) { toast(t("copy_failed")); }
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(ok, fallback);
    } else { fallback(); }
  }

  function renderWins(wins) {
    var ul = $("wins");
    ul.textContent = "";
    wins.forEach(function (w) {
      if (!w.prize || w.prize.kind === "thanks") { return; }
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = w.prize.name + (w.prize.points ? " · " + t("points", { n: w.prize.points }) : "");
      li.appendChild(name);
      if (w.prize.code) {
        var row = document.createElement("div");
        row.className = "copy-row";
        var code = document.createElement("input");
        code.type = "text";
        code.readOnly = true;
        code.className = "code";
        code.value = w.prize.code;
        code.setAttribute("aria-label", t("code"));
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "secondary copy-code";
        btn.textContent = t("copy");
        btn.setAttribute("data-code", w.prize.code);
        btn.addEventListener("click", function () { copy(w.prize.code, code); });
        row.appendChild(code);
        row.appendChild(btn);
        li.appendChild(row);
      }
      ul.appendChild(li);
    });
    $("prizes-won").hidden = !ul.children.length;
  }

  function renderShare() {
    var me = state.me, s = me && me.share;
    if (!s || !s.thresholds || !state.share) { $("share").hidden = true; return; }
    $("share").hidden = false;
    var next = s.next;
    var text = next ? t("invited", { n: s.views, m: next.views || next.shares }) : t("invited_done", { n: s.views });
    if (next && next.reward) {
      text += " · " + (next.reward.extra_draws ? t("reward_draws", { n: next.reward.extra_draws }) : t("reward_prize"));
    }
    $("share-progress").textContent = text;
    $("share-link").value = state.share;
  }

  function renderMe() {
    var me = state.me;
    if (me.votes) { renderVoteButtons(); return; }
    $("draws-left").textContent = me.draws_left === null || me.draws_left === undefined ? t("draws_unlimited")
      : t("draws_left", { n: me.draws_left });
    renderWins(me.wins || []);
    renderShare();
  }

  function loadMe() {
    return call("GET", campaignApi + "/me").then(function (me) {
      state.me = me;
      renderMe();
    }, function (err) { if (err.status === 401) { lostToken(); } });
  }

  function shareLink(shareId) {
    var u = new URL(pageUrl());
    u.searchParams.set("share", shareId);
    u.searchParams.delete("lang");
    return u.toString();
  }

  function setUpShare() {
    var parent = params.get("share");
    var chain = Promise.resolve();
    if (parent) {  // we arrived by a friend's link: count the view (once per person, never the owner's own)
      chain = call("POST", campaignApi + "/shares/" + encodeURIComponent(parent) + "/views").catch(function () {});
    }
    return chain.then(function () {
      return call("POST", campaignApi + "/shares", parent ? { parent: parent } : {});
    }).then(function (s) {
      state.share = shareLink(s.share_id);
      renderShare();
      configureWeChatShare();
    }, function () { /* not eligible to share (e.g. not following): the notice says why when they draw */ });
  }

  // ---------------------------------------------------------------- JS-SDK (only inside WeChat)
  function configureWeChatShare() {
    var wx = window.module && window.module.exports;
    if (!/MicroMessenger/i.test(navigator.userAgent) || !wx || typeof wx.config !== "function") { return; }
    call("GET", api + "/jssdk-config?url=" + encodeURIComponent(location.href.split("#")[0])).then(function (cfg) {
      wx.config({ debug: false, appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr,
                  signature: cfg.signature, jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"] });
      wx.ready(function () {
        var data = { title: state.campaign.name, desc: t("share_title"), link: state.share, imgUrl: "" };
        wx.updateAppMessageShareData(data);
        wx.updateTimelineShareData({ title: data.title, link: data.link, imgUrl: data.imgUrl });
      });
    }, function () { /* sharing still works through the copied link */ });
  }

  // ---------------------------------------------------------------- errors
  function outsideWindowKey() {
    var c = state.campaign;
    if (c && c.starts_at && Date.now() < Date.parse(c.starts_at)) { return "not_started"; }
    return "ended";
  }

  function showError(err) {
    var code = err.code || "error";
    if (code === "outside_window") { code = outsideWindowKey(); }
    if (code === "campaign_not_active" && state.campaign && state.campaign.status === "ended") { code = "ended"; }
    if (err.status === 401 && code !== "bad_oauth_code") { lostToken(); return; }
    var known = TEXT.zh[code] !== undefined && code !== "error";
    var key = isVote() && TEXT.zh[code + "_vote"] ? code + "_vote" : code;  // a vote's own wording
    notice(known ? t(key) : t("error", { m: err.message }), {
      code: code, follow: code === "not_following",
      signIn: code === "bad_oauth_code" || code === "state_mismatch"
    });
  }

  function lostToken() {  // expired or refused: sign in again (once; a second failure shows the button)
    state.token = null;
    store(tokenKey, null);
    if (isVote()) { state.busy = false; renderVoteButtons(); } else { finishSpin(); }
    notice(t("sign_in_needed"), { signIn: true, code: "sign_in_needed" });
  }

  // ---------------------------------------------------------------- start
  $("lang").addEventListener("click", function () {
    lang = lang === "en" ? "zh" : "en";
    store("scrm.lang", lang);
    applyLang();
  });
  $("spin").addEventListener("click", spin);
  $("follow-qr").addEventListener("error", function () { $("follow-qr").failed = true; $("follow-qr").hidden = true; });
  $("sign-in").addEventListener("click", signIn);
  $("share-copy").addEventListener("click", function () { copy($("share-link").value, $("share-link")); });
  if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
    $("wheel").className = "no-anim";
  }
  applyLang();

  var returning = params.has("code");
  call("GET", campaignApi).then(function (c) {
    state.campaign = c;
    state.prizes = c.prizes || [];
    renderCampaign();
    return takeToken().then(function (token) {
      if (isVote() && closed()) { return loadResults(); }  // over: the results, nobody needs to sign in
      if (!token) {
        if (!returning) { return signIn(); }  // WeChat signs snsapi_base in silently: go at once
        notice(t("sign_in_needed"), { signIn: true });
        return null;
      }
      state.token = token;
      $("app").setAttribute("data-state", "ready");
      if (isVote()) {  // votes left, then the live counts (a vote campaign has no wheel and no share-to-win)
        return loadMe().then(loadResults);
      }
      $("spin").disabled = false;
      return loadMe().then(setUpShare);
    });
  }).catch(function (err) {
    $("app").setAttribute("data-state", "error");
    showError(err);
  });
})();
