"""WeCom customer moments (客户朋友圈), as the sandbox plays them: the task API, its asynchronous job, the corp's
moment list, who published, comments and likes; and controls for what members and customers do in their clients.

Official shapes (the server API the gateway calls):
- `POST externalcontact/add_moment_task` `{text: {content}, attachments: [{msgtype: image|video|link, ...}],
  visible_range: {sender_list: {user_list, department_list}, external_contact_list: {tag_list}}}` answers `{jobid}`;
  text and attachments cannot both be empty, text at most 2000 characters ('invalid text size'), at most 9 images or
  1 video or 1 link of one kind ('invalid attachments size', 'invalid attachments msgtype')
  (https://developer.work.weixin.qq.com/document/path/95094);
- `GET externalcontact/get_moment_task_result?jobid=` answers `{status: 1 started | 2 creating | 3 done,
  type: "add_moment_task", result: {errcode, errmsg, moment_id, invalid_sender_list: {user_list},
  invalid_external_contact_list: {tag_list}}}` (same page). The job settles when the sandbox clock has moved
  `moment_job_seconds` (1 s) past its creation: a frozen test clock settles it only when the test moves the clock;
- `POST externalcontact/get_moment_list` `{start_time, end_time (at most 30 days apart), creator, filter_type 0 corp |
  1 personal | 2 all, cursor, limit <= 20}` answers `{next_cursor, moment_list: [{moment_id, creator, create_time,
  create_type, visible_type, text, image, video, link}]}`; `get_moment_task` `{moment_id, cursor, limit <= 1000}`
  answers `{next_cursor, task_list: [{userid, publish_status: 0 | 1}]}`; `get_moment_comments` `{moment_id, userid}`
  answers `{comment_list: [{external_userid | userid, create_time}], like_list: [...]}`
  (https://developer.work.weixin.qq.com/document/path/93333);
- `POST externalcontact/cancel_moment_task` `{moment_id}` stops members who have not published
  (https://developer.work.weixin.qq.com/document/path/97612).
Errors the documents do not number are answered 40058 (invalid parameter) with the documented message.
"""

from __future__ import annotations

from . import wecom
from .core import ApiError, rand_id

EC = wecom.EC
JOB_SECONDS = 1
DAYS_30 = 30 * 86400


def _api(method: str, endpoint: str):
    """Register a handler on the WeCom platform's route table (wecom.ROUTES) as a method of WeComPlatform."""
    def register(fn):
        name = "moment_" + fn.__name__
        setattr(wecom.WeComPlatform, name, fn)
        wecom.ROUTES[endpoint] = (method, name, True)
        return fn
    return register


def _state(corp) -> dict:
    if not hasattr(corp, "moment_state"):
        corp.moment_state = {"jobs": {}, "moments": {}}
    return corp.moment_state


def _bad(msg: str) -> ApiError:
    return ApiError(40058, f"invalid parameter, {msg}")


def _check_content(body: dict) -> None:
    text = ((body.get("text") or {}).get("content") or "") if isinstance(body.get("text"), dict) else ""
    atts = body.get("attachments") or []
    if not isinstance(atts, list):
        raise _bad("attachments must be a list")
    if not text and not atts:
        raise _bad("text and attachments cannot both be empty")
    if len(text) > 2000 or len(text.encode("utf-8")) > 4000:
        raise _bad("invalid text size")
    kinds = {a.get("msgtype") if isinstance(a, dict) else None for a in atts}
    if kinds - {"image", "video", "link"} or len(kinds) > 1:
        raise _bad("invalid attachments msgtype")
    if len(atts) > 9 or (kinds & {"video", "link"} and len(atts) > 1):
        raise _bad("invalid attachments size")
    for a in atts:
        if not isinstance(a.get(a["msgtype"]), dict):
            raise _bad(f"{a['msgtype']} is required")
        if a["msgtype"] == "link" and not a["link"].get("url"):
            raise _bad("link.url is required")


def settle(platform, corp) -> None:
    """Jobs whose time has come on the sandbox clock become moments (every moment call settles first)."""
    state, now = _state(corp), platform.now
    wait = int(corp.cfg.get("moment_job_seconds", JOB_SECONDS))
    for job in state["jobs"].values():
        if job["status"] == 3 or now < job["created"] + wait:
            continue
        body = job["body"]
        vr = body.get("visible_range") or {}
        users = list((vr.get("sender_list") or {}).get("user_list") or [])
        if not vr.get("sender_list"):
            users = [u for u, s in corp.staff.items() if s["status"] == "active"]
        tags = list((vr.get("external_contact_list") or {}).get("tag_list") or [])
        valid = [u for u in users if corp.staff.get(u, {}).get("status") == "active"]
        invalid_tags = [t for t in tags if t not in corp.tag_index]
        job["status"] = 3
        if not valid:
            job["result"] = {"errcode": 40058, "errmsg": "invalid parameter, no valid sender"}
            continue
        moment_id = "mom" + rand_id(30)
        atts = body.get("attachments") or []
        m = {"moment_id": moment_id, "creator": "", "create_time": now, "create_type": 0, "visible_type": 0,
             "text": {"content": (body.get("text") or {}).get("content", "")}, "cancelled": False,
             "tasks": {u: 0 for u in valid}, "comments": {u: [] for u in valid}, "likes": {u: [] for u in valid},
             "tag_list": [t for t in tags if t not in invalid_tags]}
        images = [{"media_id": "WWCISP_" + rand_id(20)} for a in atts if a["msgtype"] == "image"]
        if images:
            m["image"] = images
        for a in atts:
            if a["msgtype"] == "video":
                m["video"] = {"media_id": "WWCISP_" + rand_id(20), "thumb_media_id": "WWCISP_" + rand_id(20)}
            elif a["msgtype"] == "link":
                m["link"] = {"title": a["link"].get("title", ""), "url": a["link"]["url"]}
        state["moments"][moment_id] = m
        job["result"] = {"errcode": 0, "errmsg": "ok", "moment_id": moment_id,
                         "invalid_sender_list": {"user_list": [u for u in users if u not in valid],
                                                 "department_list": []},
                         "invalid_external_contact_list": {"tag_list": invalid_tags}}


@_api("POST", EC + "add_moment_task")
def add_moment_task(self, corp, q, body):
    _check_content(body)
    vr = body.get("visible_range") or {}
    users = (vr.get("sender_list") or {}).get("user_list")
    if users is not None and (not isinstance(users, list) or len(users) > 100000):
        raise _bad("sender_list.user_list holds at most 100000 userids")
    jobid = "job" + rand_id(30)
    _state(corp)["jobs"][jobid] = {"jobid": jobid, "created": self.now, "status": 2, "body": body}
    return {"jobid": jobid}


@_api("GET", EC + "get_moment_task_result")
def get_moment_task_result(self, corp, q, body):
    settle(self, corp)
    job = _state(corp)["jobs"].get(q.get("jobid") or "")
    if job is None:
        raise _bad("invalid jobid")
    out = {"status": job["status"], "type": "add_moment_task"}
    if job["status"] == 3:
        out["result"] = dict(job["result"])
    return out


def _moment(self, corp, body) -> dict:
    settle(self, corp)
    m = _state(corp)["moments"].get(body.get("moment_id") or "")
    if m is None:
        raise _bad("invalid moment_id")
    return m


def _listed(m: dict) -> dict:
    return {k: m[k] for k in ("moment_id", "creator", "create_time", "create_type", "visible_type", "text", "image",
                              "video", "link") if k in m}


@_api("POST", EC + "get_moment_list")
def get_moment_list(self, corp, q, body):
    settle(self, corp)
    start, end = body.get("start_time"), body.get("end_time")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        raise _bad("start_time and end_time are required")
    if end - start > DAYS_30:
        raise _bad("the interval between start_time and end_time cannot exceed 30 days")
    if int(body.get("filter_type", 2)) == 1:  # personal posts: the sandbox has none
        found = []
    else:
        found = [m for m in _state(corp)["moments"].values() if start < m["create_time"] < end
                 and (not body.get("creator") or m["creator"] == body["creator"])]
    limit = int(body.get("limit") or 20)
    limit = 20 if limit > 20 or limit < 1 else limit
    chunk, nxt = wecom.page(sorted(found, key=lambda m: m["create_time"]), body.get("cursor"), limit)
    return {"next_cursor": nxt, "moment_list": [_listed(m) for m in chunk]}


@_api("POST", EC + "get_moment_task")
def get_moment_task(self, corp, q, body):
    m = _moment(self, corp, body)
    limit = max(1, min(int(body.get("limit") or 500), 1000))
    rows = [{"userid": u, "publish_status": s} for u, s in m["tasks"].items()]
    chunk, nxt = wecom.page(rows, body.get("cursor"), limit)
    return {"next_cursor": nxt, "task_list": chunk}


@_api("POST", EC + "get_moment_comments")
def get_moment_comments(self, corp, q, body):
    m = _moment(self, corp, body)
    userid = body.get("userid")
    if userid not in m["tasks"]:
        raise ApiError(60111, f"invalid userid {userid}")
    return {"comment_list": [dict(c) for c in m["comments"][userid]],
            "like_list": [dict(x) for x in m["likes"][userid]]}


@_api("POST", EC + "cancel_moment_task")
def cancel_moment_task(self, corp, q, body):
    _moment(self, corp, body)["cancelled"] = True
    return {}


# ---------------------------------------------------------------- controls (what happens in the clients)


def control(platform, corpid: str, moment_id: str, action: str, body: dict) -> dict:
    """`publish` {userid}: the member publishes the task; `interactions` {userid, external_userid, kind: comment |
    like}: a customer comments on or likes that member's post."""
    corp = platform.app(corpid)
    m = _moment(platform, corp, {"moment_id": moment_id})
    userid = body.get("userid")
    if userid not in m["tasks"]:
        raise ApiError(60111, f"no task for userid {userid}")
    if action == "publish":
        if m["cancelled"] and not m["tasks"][userid]:
            raise _bad("the moment task was cancelled")
        m["tasks"][userid] = 1
        return {"moment_id": moment_id, "userid": userid, "publish_status": 1}
    if not m["tasks"][userid]:
        raise _bad(f"{userid} has not published the moment")
    kind = body.get("kind")
    if kind not in ("comment", "like"):
        raise _bad("kind must be comment or like")
    who = {"external_userid": body["external_userid"]} if body.get("external_userid") else {"userid": userid}
    (m["comments"] if kind == "comment" else m["likes"])[userid].append({**who, "create_time": platform.now})
    return {"comments": len(m["comments"][userid]), "likes": len(m["likes"][userid])}


def overview(platform, corpid: str) -> dict:
    corp = platform.app(corpid)
    settle(platform, corp)
    state = _state(corp)
    return {"jobs": [{k: v for k, v in j.items() if k != "body"} for j in state["jobs"].values()],
            "moments": [{**_listed(m), "tasks": dict(m["tasks"]), "cancelled": m["cancelled"],
                         "comments": sum(len(c) for c in m["comments"].values()),
                         "likes": sum(len(x) for x in m["likes"].values())} for m in state["moments"].values()]}
