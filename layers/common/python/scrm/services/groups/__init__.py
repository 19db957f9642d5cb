"""The customer groups capability (客户群): membership kept from `change_external_chat` callbacks and
`groupchat/get`, and group codes (a channel of kind `wecom_group` over WeCom's 加入群聊 join ways) that rotate
through a pool of groups as they reach the company's cap.

- membership: the event handler and the exactly-once writes (registers an event handler: imported by the worker
  through scrm.services.events.HANDLER_MODULES, not here)
- admin: the admin API's reads (groups, one group with its members, size per day)
- codes: the group code's join way and its rotation

Data goes through scrm.stores.groups (scrm.bootstrap slot `group_store`). Nothing is imported here: the worker
loads `membership` alone.
"""
