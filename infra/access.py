"""What each function touches, read from the code: tables (and indexes) with the DynamoDB actions used on them,
queues it sends to, SSM actions. `infra/access.json` is the reviewed copy the template grants from;
`tests/packaging/test_least_privilege.py` fails when the code and that file disagree, so a change that starts
using a table, an index, a queue or a write action shows up as a diff of access.json in review.

    python -m infra.access            # print what the code needs
    python -m infra.access --write    # rewrite infra/access.json from the code

How it reads the code (static, no AWS; errs on the side of granting, never of refusing):
- reach, function by function: from a function's entry points, the functions and methods they call or hand
  on, and the top-level code of the modules they import. The API function's entry points are the route
  handlers of every blueprint module app.py imports (`@bp.route`, or a decorator of ours that calls `.route(`:
  admin_route, public_route) and those modules' top-level code; a schedule or queue handler of the same
  blueprint is its own Lambda function and is not the API's. A queue or schedule function starts at its handler.
  A module loaded by a name in a string (`HANDLER_MODULES` in scrm.services.events, read by `_load`) counts for
  what it and the modules it loads register: their functions decorated by a decorator of ours (`@on(...)`);
  a module merely imported contributes its top-level code, not its functions. `from pkg import name` is pkg's
  attribute when pkg defines it (a function shadowing the submodule of that name), else the submodule;
- methods (rapid type analysis): a class named in reached code is live; a method of a live class (or of its
  bases) is reached once its name is called anywhere in reached code (`x.m(...)`, `x.m` handed on as a
  callback, or the string "m"), whatever `x` is; its dunders and properties run unnamed and count at once.
  `super().m` is m of the enclosing class's bases of ours (a library base runs none of our code);
- tables: in each reached module, each function uses the models it names (or its callees name: a helper
  that makes the item); a method naming none (an item kept on `self`) uses every model its class names; a
  PynamoDB call there (`Model.get/query/scan/batch_get/batch_write`, `x.save/update/delete/refresh/
  condition_check`, `Model.<index>.query`) or a low-level client call (`put_item`, ...) is
  an action on those models' tables (a query names its index with `IndexName=`); a model passed to a function
  of ours counts for the calls that function makes on what it was given (`_rekey(DrawRecord)`: `.save()`);
  `Model.<attr>.exists()` and the like are conditions, not calls;
- queues: `send(Q, ...)` / `send_batch(Q, ...)` / `queues.send(Q, ...)` with Q a constant of scrm.queues (or
  an alias of one), or `queue_for(...)`, which may return any queue its body names;
- SSM: `put_parameter`, `delete_parameter`, `get_parameter(s)`, `get_parameters_by_path` calls (paginators
  included) in reached modules;
- WeChat: a function calls WeChat when it reaches a method of a gateway class (`scrm.gateway.*`); those are the
  functions placed in the VPC, behind the NAT gateway's Elastic IP, when the stack has one;
- local-only helpers (`ensure_tables`, `ensure_queues`) are left out: Lambda never runs them.
"""

from __future__ import annotations

import ast
import json
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common" / "python"
ACCESS_FILE = ROOT / "infra" / "access.json"
LOCAL_ONLY = {"ensure_tables", "ensure_queues", "ensure_table"}
API_ENTRY = "app.app"

# PynamoDB method -> DynamoDB IAM action (TransactWrite items are checked per action, as IAM does).
MODEL_CALLS = {"get": "GetItem", "refresh": "GetItem", "batch_get": "BatchGetItem", "query": "Query",
               "count": "Query", "scan": "Scan", "save": "PutItem", "update": "UpdateItem", "delete": "DeleteItem",
               "batch_write": "BatchWriteItem", "condition_check": "ConditionCheckItem"}
CLIENT_CALLS = {"get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
                "delete_item": "DeleteItem", "batch_get_item": "BatchGetItem",
                "batch_write_item": "BatchWriteItem", "transact_get_items": "GetItem"}
# Names so common on other objects (dicts, sets, lists) that only a model receiver counts.
AMBIGUOUS = {"get", "count", "update", "delete"}
SSM_CALLS = {"get_parameter": "GetParameter", "get_parameters": "GetParameters",
             "get_parameters_by_path": "GetParametersByPath", "put_parameter": "PutParameter",
             "delete_parameter": "DeleteParameter"}
SENDS = {"send", "send_batch"}
# Methods of built-in types: `x.get(...)` on an unknown x is a dict far more often than a module.
BUILTIN_METHODS = frozenset(n for t in (dict, list, set, str, bytes) for n in dir(t))
# Calls the reading cannot see: made by libraries on our behalf, or items handed to a transaction helper (IAM checks
# each item of a TransactWriteItems by its action). (module, function) -> table actions; the recorded runs in
# tests/packaging/test_least_privilege.py fail when one is missing.
LIBRARY_CALLS = {  # Powertools' DynamoDBPersistenceLayer: conditional put, get, update, delete of its records
    ("scrm.idempotency", "idempotency_persistence"): {
        "idempotency": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}},
    ("scrm.data.draw_ledger", "_Txn.put"): {"draws": {"PutItem"}},  # the draw record (DrawPlan.record)
    # a new campaign's record, and the upload lease a code upload checks in the same transaction
    ("scrm.data.campaign_changes", "commit"): {"campaigns": {"PutItem"}, "coupon_codes": {"ConditionCheckItem"}},
    # the channel store's attribution writes: items it returns, which the contact store (record_contact) or the
    # group store commits in its own transaction (scrm.stores.channels.base): written where they are made
    ("scrm.stores.channels.dynamo", "DynamoChannelStore.counter_writes"): {"channel_stats": {"UpdateItem"}},
    ("scrm.stores.channels.dynamo", "DynamoChannelStore.tagging_writes"): {"channel_tagging": {"UpdateItem"}},
    ("scrm.stores.channels.dynamo", "DynamoChannelStore.cap_write"): {"channels": {"UpdateItem"}},
}


# ---------------------------------------------------------------- modules


def _base(name: str) -> Path:
    return (LAYER if name.split(".")[0] == "scrm" else ROOT) / Path(*name.split("."))


def module_file(name: str) -> Path | None:
    """The source of a module, its package's __init__.py, or the folder of a namespace package."""
    base = _base(name)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return base if base.is_dir() else None


@cache
def parsed(name: str) -> ast.Module:
    path = module_file(name)
    return ast.parse(path.read_text()) if path.is_file() else ast.Module(body=[], type_ignores=[])


def _ours(name: str) -> bool:
    return name.split(".")[0] in ("scrm", "functions", "app") and module_file(name) is not None


def _package(name: str) -> str:
    return name if module_file(name).name in ("__init__.py", name.rpartition(".")[2]) else name.rpartition(".")[0]


def imports_in(module: str, nodes, *, strings: bool = True) -> set[str]:
    """Our modules imported by `nodes` (AST subtrees of `module`), and (with `strings`) string constants naming
    one."""
    out = set()
    for node in (n for tree in nodes for n in ast.walk(tree)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            source = _import_source(module, node)
            out.add(source)
            out |= {f"{source}.{a.name}" for a in node.names}
        elif strings and isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                node.value.startswith("scrm."):
            out.add(node.value)
    return {m for m in out if _ours(m)}


def _import_source(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` in `module` reads from."""
    if not node.level:
        return node.module
    parts = _package(module).split(".")
    base = ".".join(parts[:len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


def _named_modules(node) -> set[str]:
    """Our modules named by string constants in `node` (imported by name: `importlib.import_module(m)`)."""
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.startswith("scrm.") and _ours(n.value)}


@cache
def _module_constants(module: str) -> dict[str, frozenset[str]]:
    """{name: modules its string constants name} for the module's top-level assignments
    (`HANDLER_MODULES = ["scrm.services.welcome", ...]`): imported by the functions that read the name, not by
    importing the module."""
    out = {}
    for node in parsed(module).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) and node.value is not None else []
        named = _named_modules(node.value) if targets else set()
        for target in targets:
            if isinstance(target, ast.Name) and named:
                out[target.id] = frozenset(named)
    return out


@cache
def _closure_cached(module: str) -> frozenset[str]:
    return frozenset(_closure(set(), [module]))


def _closure(seen: set[str], todo: list[str]) -> set[str]:
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += imports_in(name, [parsed(name)])
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # importing a.b.c runs a and a.b
    return seen


TOP = "<module>"  # a module's top-level code, run when it is imported


@cache
def definitions(module: str) -> tuple[dict, dict]:
    """({qualified name: node} of the module's functions and methods, {class name: [method names]})."""
    defs, classes = {}, {}
    for node in parsed(module).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            methods = [i for i in node.body if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef)]
            classes[node.name] = [m.name for m in methods]
            defs |= {f"{node.name}.{m.name}": m for m in methods}
    return defs, classes


def scope_node(module: str, name: str):
    if name == TOP:
        body = [n for n in parsed(module).body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef |
                                                                  ast.ClassDef)]
        return ast.Module(body=body, type_ignores=[])
    return definitions(module)[0][name]


def _bindings(module: str, nodes) -> dict[str, tuple]:
    """Names the import statements in `nodes` bind: name -> ("module", m) or ("attr", m, attribute)."""
    out = {}
    for node in (n for tree in nodes for n in ast.walk(tree)):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _ours(a.name):
                    out[a.asname or a.name.split(".")[0]] = ("module", a.name if a.asname else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = imports_in(module, [ast.ImportFrom(module=node.module, names=[], level=node.level)])
            if not source:
                continue
            (source,) = source
            defs, classes = definitions(source)
            for a in node.names:
                # `from pkg import name` takes pkg's attribute when it has one (a package may define a function
                # named like one of its submodules: pushes.service), else imports the submodule
                full = f"{source}.{a.name}"
                own = a.name in defs or a.name in classes
                out[a.asname or a.name] = ("module", full) if _ours(full) and not own else ("attr", source, a.name)
    return out


LIVE = ".*"  # `(module, "Class.*")`: the class is used (made, or handed on) in reached code: see reach()


def _targets_in(module: str, name: str, depth: int = 0, attr: str | None = None) -> set[tuple[str, str]]:
    """What `name` (or `name.attr`) in `module`'s namespace denotes: a function, a re-export, or a class: the
    class made live (its methods run where their names are called: reach), what runs unnamed (_class_protocol)
    and `attr` if it is one of its methods (`Class.method`)."""
    defs, classes = definitions(module)
    if name in classes:
        methods = _class_protocol(module, name) | ({attr} & set(classes[name]))
        return {(module, TOP), (module, name + LIVE)} | {(module, f"{name}.{m}") for m in methods}
    if name in defs:
        return {(module, name)}
    bound = _bindings(module, [scope_node(module, TOP)]).get(name)
    if bound and depth < 5:
        if bound[0] == "module":
            return {(bound[1], TOP)}
        return _targets_in(bound[1], bound[2], depth + 1, attr)
    return set()


PROTOCOL_DECORATORS = {"property", "cached_property", "setter", "getter", "deleter"}


def _class_node(module: str, class_name: str) -> ast.ClassDef | None:
    return next((n for n in parsed(module).body if isinstance(n, ast.ClassDef) and n.name == class_name), None)


@cache
def _class_protocol(module: str, class_name: str) -> frozenset[str]:
    """Methods an instance runs without our code naming them: dunders (__init__, __enter__, __call__, __iter__,
    ...) and properties (read, never called)."""
    node = _class_node(module, class_name)
    out = set()
    for m in (i for i in (node.body if node else []) if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef)):
        decorators = {(_chain(d) or [""])[-1] for d in m.decorator_list}
        if (m.name.startswith("__") and m.name.endswith("__")) or decorators & PROTOCOL_DECORATORS:
            out.add(m.name)
    return frozenset(out)


def _bases(module: str, class_name: str) -> set[tuple[str, str]]:
    """Our base classes of a class, made live with it (an instance runs their methods too)."""
    node = _class_node(module, class_name)
    return {t for b in (node.bases if node else []) if isinstance(b, ast.Name) for t in _targets_in(module, b.id)}


@cache
def _called_names(module: str, name: str) -> frozenset[str]:
    """Method names a scope may call on an object: `x.m(...)`, `x.m` handed on (a callback), and identifier
    strings (getattr(x, "m"), dispatch tables). `__all__` names what `import *` takes, and calls nothing."""
    out = set()
    exports = {id(c) for a in ast.walk(scope_node(module, name)) if isinstance(a, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in a.targets) for c in ast.walk(a.value)}
    for n in ast.walk(scope_node(module, name)):
        if id(n) in exports:
            continue
        if isinstance(n, ast.Call):
            out |= {a.attr for a in [n.func, *n.args, *(k.value for k in n.keywords)] if isinstance(a, ast.Attribute)}
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
            out.add(n.value)
    return frozenset(out)


@cache
def _methods_named(module: str, method: str) -> frozenset[tuple[str, str]]:
    """Methods called `method` in any class `module` may import, and functions of that name in those modules (a
    module held in a variable): the candidates for an object of unknown type."""
    out = set()  # (a class's methods: by name, of the classes reached code makes live: reach)
    for m in _closure_cached(module):
        if method not in BUILTIN_METHODS and method in definitions(m)[0]:  # `repo = _repo(); repo.load_all()`
            out.add((m, method))
    return frozenset(out)


def edges(module: str, name: str) -> set[tuple[str, str]]:
    """The code `module.name` may run next: what it names (called or passed on), and modules it imports."""
    node = scope_node(module, name)
    own_class = name.split(".")[0] if "." in name else None
    bound = _bindings(module, [scope_node(module, TOP), node])
    named = _string_imports(module, name, node)
    out = {(m, TOP) for m in imports_in(module, [node], strings=False) | named}
    for m in named:  # a module named in a string is imported for its registrations: what they register may run
        out |= {(r, d) for r in _imported_at_load(m) for d in registered(r)}
    calls = {id(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
    for ref in ast.walk(node):
        if not isinstance(ref, ast.Name | ast.Attribute):
            continue
        chain = _chain(ref)
        if not chain or (isinstance(ref, ast.Name) and ref.id != chain[0]):
            continue
        if chain[0] == "super":  # super().m: m of the enclosing class's bases that are ours (none: a library's)
            out |= _super_targets(module, name, node, chain[1:2])
        elif chain[0] in ("self", "cls") and own_class and len(chain) > 1:
            out |= {(module, f"{own_class}.{chain[1]}")} & set(_all_scopes(module))
            out.add((module, own_class + LIVE))  # and its bases: an inherited self.m() runs a base's m
        elif chain[0] in bound:
            out |= _bound_targets(bound[chain[0]], chain[1:])
        else:
            out |= _local_or_unknown(module, chain, isinstance(ref, ast.Attribute) and id(ref) in calls)
    return out


def _super_targets(module: str, name: str, node, method: list[str]) -> set[tuple[str, str]]:
    """What `super().method` may run in scope `name`: that method of the bases of the classes it sits in (its own
    class, or classes defined inside it) that are ours. A library's base class (wechatpy's client, Exception)
    runs no code of ours, so none of our methods that happen to share the name."""
    if not method:
        return set()
    classes = [n for n in ast.walk(node) if isinstance(n, ast.ClassDef)]
    if "." in name:
        classes += [n for n in parsed(module).body if isinstance(n, ast.ClassDef) and n.name == name.split(".")[0]]
    out = set()
    for base in (b for c in classes for b in c.bases if isinstance(b, ast.Name)):
        out |= {t for t in _targets_in(module, base.id, attr=method[0]) if t[1].rpartition(".")[2] == method[0]}
    return out


def _string_imports(module: str, name: str, node) -> set[str]:
    """Modules a scope imports by name: strings in a function, or the module constants it reads. A module's
    top-level strings are data until a function reads them (importing events does not load its handlers)."""
    if name == TOP:
        return set()
    constants = _module_constants(module)
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in constants}
    return _named_modules(node) | {m for n in read for m in constants[n]}


def _bound_targets(kind: tuple, rest: list[str]) -> set[tuple[str, str]]:
    """What `name.rest...` denotes when `name` is bound by an import (`kind`, from _bindings)."""
    if kind[0] == "attr":
        return _targets_in(kind[1], kind[2], attr=rest[0] if rest else None)
    target = kind[1]
    while rest and _ours(f"{target}.{rest[0]}"):
        target, rest = f"{target}.{rest[0]}", rest[1:]
    out = {(target, TOP)}
    if rest:
        out |= _targets_in(target, rest[0], attr=rest[1] if len(rest) > 1 else None)
    return out


def _local_or_unknown(module: str, chain: list[str], called_method: bool) -> set[tuple[str, str]]:
    """A name defined in `module`, or (for `x.method(...)` on an object of unknown type) every such method."""
    head = chain[0]
    defs, classes = definitions(module)
    local = _targets_in(module, head, attr=chain[1] if len(chain) > 1 else None) if head in defs or \
        head in classes else set()
    if local:
        return local
    if called_method and len(chain) > 1:
        return set(_methods_named(module, chain[-1]))
    return set()


def _all_scopes(module: str) -> list[str]:
    return [TOP, *definitions(module)[0]]


@cache
def _imported_at_load(module: str) -> frozenset[str]:
    """The modules importing `module` loads: its top-level imports, theirs, and their packages (what a function
    imports when it runs is not loaded yet)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += imports_in(name, [scope_node(name, TOP)], strings=False)
            parts = name.split(".")
            todo += [".".join(parts[:i]) for i in range(1, len(parts))]
    return frozenset(seen)


# Decorators of ours that wrap a function under its own name and register it nowhere: the wrapped function runs
# when that name is called, which the reading follows (`@slot`: `bootstrap.moment_store()` makes the store).
WRAPPERS = {("scrm.container", "slot")}


@cache
def registered(module: str) -> frozenset[str]:
    """The module's functions decorated by a decorator of ours (`@on("oa.subscribe")`): it may hand the function
    to a registry that calls it by no name the reading can follow, so each counts as run once the module is
    loaded by a name in a string (`HANDLER_MODULES`). A library's decorator (`@cache`) registers nothing of ours.
    (A registration made by a call at the top, `register(fn)`, is followed from the top-level code.)"""
    out = set()
    for node in parsed(module).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _decorator_targets(module, d) - WRAPPERS for d in node.decorator_list):
            out.add(node.name)
    return frozenset(out)


def _decorator_targets(module: str, decorator) -> set[tuple[str, str]]:
    """The functions of ours a decorator (`@on(...)`, `@traced`, `@bp.route(...)`) names."""
    chain = _chain(decorator)
    if not chain:
        return set()
    bound = _bindings(module, [scope_node(module, TOP)])
    if chain[0] in bound:
        targets = _bound_targets(bound[chain[0]], chain[1:])
    else:
        defs, classes = definitions(module)
        targets = _targets_in(module, chain[0]) if chain[0] in defs or chain[0] in classes else set()
    return {t for t in targets if t[1] != TOP and not t[1].endswith(LIVE)}


def _makes_routes(module: str, decorator) -> bool:
    """Is `decorator` a route registration: `bp.route(...)`, or a function of ours that calls `.route(` (the
    route table's `admin_route(...)` and `public_route(...)`, which register on the blueprint and record it)?"""
    chain = _chain(decorator)
    if chain[-1:] == ["route"]:
        return True
    if not isinstance(decorator, ast.Call):
        return False
    return any(isinstance(c, ast.Call) and _chain(c.func)[-1:] == ["route"]
               for m, n in _decorator_targets(module, decorator) for c in ast.walk(scope_node(m, n)))


@cache
def routes_of(module: str) -> frozenset[str]:
    """The module's route handlers: what the API function runs (each schedule or queue handler of the same
    blueprint is its own Lambda function, deployed with its own role)."""
    return frozenset(n.name for n in parsed(module).body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                     and any(_makes_routes(module, d) for d in n.decorator_list))


def api_entries() -> list[tuple[str, str]]:
    """Where the API function starts: the app module's top-level code (which imports every blueprint module,
    running their top-level code) and each route handler."""
    modules = sorted(m for m in _closure_cached("app") if m.startswith("functions"))
    return [("app", TOP)] + [(m, TOP) for m in modules] + [(m, r) for m in modules for r in sorted(routes_of(m))]


def reach(entry: str) -> set[tuple[str, str]]:
    """The (module, function) pairs a handler may run: `app.app` runs the routes, `functions.x.fn` runs fn."""
    module, _, function = entry.rpartition(".")
    if entry == API_ENTRY:
        todo = api_entries()
    else:
        if function not in definitions(module)[0]:
            raise SystemExit(f"{entry}: no function {function!r} in {module}")
        todo = [(module, TOP), (module, function)]
    # Rapid type analysis: a method runs when its class is live (used by reached code) and its name is called in
    # reached code (on any object: the receiver's type is not read), whichever of the two is found first.
    seen, live, called = set(), set(), set()
    while todo:
        item = todo.pop()
        if item[1].endswith(LIVE):
            klass = (item[0], item[1].removesuffix(LIVE))
            if klass not in live:
                live.add(klass)
                todo += [(klass[0], f"{klass[1]}.{m}") for m in definitions(klass[0])[1].get(klass[1], ())
                         if m in called]
                todo += _bases(*klass)
            continue
        if item in seen or item[1] in LOCAL_ONLY or item[1].rpartition(".")[2] in LOCAL_ONLY:
            continue
        if item[1] != TOP and item[1] not in definitions(item[0])[0]:
            continue
        seen.add(item)
        new = _called_names(*item) - called
        called |= new
        todo += [(m, f"{c}.{n}") for m, c in live for n in new & set(definitions(m)[1].get(c, ()))]
        todo += edges(*item)
        parts = item[0].split(".")
        todo += [(".".join(parts[:i]), TOP) for i in range(1, len(parts))]
    return seen


# ---------------------------------------------------------------- what a module does


@cache
def _models():
    """{class name: (logical table, {index attribute: index name})} for every registered model."""
    from pynamodb.indexes import Index

    from scrm.data.registry import all_models

    out = {}
    for model in all_models():
        indexes = {attr: value.Meta.index_name for klass in model.__mro__ for attr, value in vars(klass).items()
                   if isinstance(value, Index)}
        if model.__name__ in out:
            raise SystemExit(f"two models named {model.__name__}: the access analysis keys models by class name")
        out[model.__name__] = (model.logical_name, indexes)
    return out


def _chain(node) -> list[str]:
    """`a.b.c` -> ["a", "b", "c"] (calls and subscripts in between are skipped)."""
    names = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def _queue_constants() -> dict[str, set[str]]:
    """Names in scrm.queues bound to queue names, and functions there returning them (queue_for)."""
    tree = parsed("scrm.queues")
    values = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            values[node.targets[0].id] = {node.value.value}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name not in SENDS | LOCAL_ONLY:
            returned = {n.id for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None
                        for n in ast.walk(r.value) if isinstance(n, ast.Name) and n.id in values}
            if returned:
                values[node.name] = set().union(*(values[n] for n in returned))
    return values


def _aliases(module: str, queue_names: dict[str, set[str]]) -> dict[str, set[str]]:
    """Queue names visible in `module`: scrm.queues constants, and names bound to one (QUEUE = "reassignment")."""
    out = dict(queue_names)
    known = set().union(*queue_names.values()) if queue_names else set()
    for node in ast.walk(parsed(module)):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and node.value.value in known):
            out[node.targets[0].id] = {node.value.value}
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Name | ast.Attribute)):
            source = _chain(node.value)[-1:]
            if source and source[0] in queue_names:
                out[node.targets[0].id] = queue_names[source[0]]
    return out


@cache
def _class_names(module: str, class_name: str) -> frozenset[str]:
    for node in parsed(module).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return frozenset({n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
                n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)})
    return frozenset()


def _queue_imports(module: str) -> tuple[set[str], set[str]]:
    """(names bound to scrm.queues.send/send_batch, names bound to the scrm.queues module) in `module`."""
    senders, modules = set(), set()
    for node in ast.walk(parsed(module)):
        if isinstance(node, ast.ImportFrom):
            source = imports_in(module, [ast.ImportFrom(module=node.module, names=[], level=node.level)])
            for alias in node.names:
                if "scrm.queues" in source and alias.name in SENDS:
                    senders.add(alias.asname or alias.name)
                elif alias.name == "queues" and source & {"scrm", "scrm.queues"}:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "scrm.queues"}
    return senders, modules


@cache
def _model_aliases(module: str, name: str) -> dict[str, str]:
    """{alias: model class name} for `from ..data.x import Model as M` in the module or the function."""
    models = _models()
    bound = _bindings(module, [scope_node(module, TOP), scope_node(module, name)])
    return {alias: b[2] for alias, b in bound.items() if b[0] == "attr" and b[2] in models and alias != b[2]}


def _names(module: str, name: str, node) -> set[str]:
    aliases = _model_aliases(module, name)
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    return {aliases.get(n, n) for n in names}


@cache
def _named_models(module: str, name: str) -> frozenset[str]:
    models = _models()
    return frozenset(m for m in _names(module, name, scope_node(module, name)) if m in models)


class _Found:
    """What one scope touches, filled call by call (scope_needs)."""

    def __init__(self):
        self.tables: dict[str, set[str]] = {}
        self.indexes: dict[str, set[str]] = {}
        self.queues: set[str] = set()
        self.ssm: set[str] = set()

    def table(self, table: str, action: str | None = None) -> None:
        actions = self.tables.setdefault(table, set())
        if action:
            actions.add(action)

    def index(self, table: str, names) -> None:
        self.indexes.setdefault(table, set()).update(names)


@cache
def scope_needs(module: str, name: str) -> dict:
    """{"tables": {table: {action}}, "indexes": {table: {index}}, "queues": {queue}, "ssm": {action}}."""
    models = _models()
    queues = _aliases(module, _queue_constants()) if module != "scrm.queues" else {}
    senders, queue_modules = _queue_imports(module)
    class_name = name.split(".")[0] if "." in name else None
    class_names = _class_names(module, class_name) if class_name else frozenset()
    aliases = _model_aliases(module, name)
    scope = scope_node(module, name)
    names = _names(module, name, scope)
    named = {m for m in (names | class_names) if m in models}
    if class_name in models:
        named.add(class_name)
    # A model or item handed over by a function this one calls (`contact_model, _ = _models()`,
    # `for item, actions in counter_updates(...)`): its models count for calls on unknown receivers.
    # A method's unknown receivers (`rec.save()`) are the models it or its callees name; only a method naming none
    # (an item kept on `self`) falls back to every model its class names.
    own = {m for m in names if m in models} | ({class_name} & set(models))
    handed = own | {m for target in edges(module, name) if target[1] != TOP and not target[1].endswith(LIVE)
                    for m in _named_models(*target)}
    handed = handed or named
    found = _Found()
    for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call)):
        chain = [aliases.get(c, c) for c in _chain(call.func)]
        if not chain:
            continue
        method, receiver = chain[-1], chain[:-1]
        if call.args and ((not receiver and method in senders) or (
                receiver in [[q] for q in queue_modules] and method in SENDS)):
            found.queues |= _queue_sent(module, call, method, queues)
        elif _ssm_action(call, method):
            found.ssm.add(_ssm_action(call, method))
        elif method in CLIENT_CALLS or (method in ("query", "scan") and receiver[-1:] in (["_db"], ["db"])):
            for m in named:
                found.table(models[m][0], CLIENT_CALLS.get(method) or MODEL_CALLS[method])
                if method in ("query", "scan"):  # IAM grants a query of an index on the index
                    found.index(models[m][0], _client_indexes(scope) & set(models[m][1].values()))
        elif method in MODEL_CALLS:
            _model_call(found, method, receiver, class_name, names, handed)
    _models_handed_on(found, module, name, scope, aliases)
    for table, actions in LIBRARY_CALLS.get((module, name), {}).items():
        found.tables.setdefault(table, set()).update(actions)
    return {"tables": found.tables, "indexes": found.indexes, "queues": found.queues, "ssm": found.ssm}


def _models_handed_on(found: _Found, module: str, name: str, scope, aliases: dict[str, str]) -> None:
    """A model passed to a function of ours (`_rekey(DrawRecord, ...)`): the PynamoDB calls that function makes
    on what it was given (`model(**values).save()`, `item.delete()`) are calls on that model's table."""
    models = _models()
    for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call)):
        args = [*call.args, *(k.value for k in call.keywords)]
        passed = {aliases.get(a.id, a.id) for a in args if isinstance(a, ast.Name)} & set(models)
        if not passed:
            continue
        for target in _callees(module, name, call):
            for method in _untyped_model_calls(*target):
                for m in passed:
                    found.table(models[m][0], MODEL_CALLS[method])


def _callees(module: str, name: str, call: ast.Call) -> set[tuple[str, str]]:
    """The functions of ours a call may run (a name defined in the module, or imported into it)."""
    chain = _chain(call.func)
    if not chain or chain[0] in ("self", "cls", "super"):
        return set()
    bound = _bindings(module, [scope_node(module, TOP), scope_node(module, name)])
    if chain[0] in bound:
        targets = _bound_targets(bound[chain[0]], chain[1:])
    else:
        defs, classes = definitions(module)
        targets = _targets_in(module, chain[0]) if chain[0] in defs or chain[0] in classes else set()
    return {t for t in targets if t[1] != TOP and not t[1].endswith(LIVE)}


@cache
def _untyped_model_calls(module: str, name: str) -> frozenset[str]:
    """PynamoDB methods a scope calls on receivers it does not name as a model (a model or item it was handed)."""
    models = _models()
    out = set()
    for call in (n for n in ast.walk(scope_node(module, name)) if isinstance(n, ast.Call)):
        chain = _chain(call.func)
        if len(chain) > 1 and chain[-1] in MODEL_CALLS and not set(chain[:-1]) & set(models):
            out.add(chain[-1])
    return frozenset(out)


def _client_indexes(scope) -> set[str]:
    """Index names a scope hands the low-level client (`IndexName="pending"`, or in a dict of arguments)."""
    out = {k.value.value for k in ast.walk(scope) if isinstance(k, ast.keyword) and k.arg == "IndexName"
           and isinstance(k.value, ast.Constant)}
    for d in (n for n in ast.walk(scope) if isinstance(n, ast.Dict)):
        out |= {v.value for k, v in zip(d.keys, d.values, strict=True) if isinstance(k, ast.Constant)
                and k.value == "IndexName" and isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return out


def _queue_sent(module: str, call: ast.Call, method: str, queues: dict[str, set[str]]) -> set[str]:
    target = _chain(call.args[0])
    key = target[-1] if target else None
    if key not in queues:
        raise SystemExit(f"{module}: {method}() to a queue the analysis cannot name: {ast.unparse(call.args[0])}")
    return queues[key]


def _ssm_action(call: ast.Call, method: str) -> str | None:
    if method in SSM_CALLS:
        return SSM_CALLS[method]
    if method == "get_paginator" and call.args and isinstance(call.args[0], ast.Constant) and \
            call.args[0].value in SSM_CALLS:
        return SSM_CALLS[call.args[0].value]
    return None


def _model_call(found: _Found, method: str, receiver: list[str], class_name: str | None, names: set[str],
                handed: set[str]) -> None:
    """A PynamoDB call (`Model.get`, `Model.index.query`, `item.save`, ...) in the scope."""
    models = _models()
    own = [r for r in receiver if r in models]
    if receiver[:1] in (["cls"], ["self"]) and class_name in models:
        own = [class_name]
    if not own:
        if method in AMBIGUOUS and not handed:
            return
        for m in handed:  # a model held in a variable, an instance, or a transaction: the models named here
            table, model_indexes = models[m]
            found.table(table, MODEL_CALLS[method])
            used = {model_indexes[a] for a in names if a in model_indexes} if method in ("query", "count") else ()
            if used:
                found.index(table, used)
        return
    model = own[-1]
    table, model_indexes = models[model]
    after = receiver[receiver.index(model) + 1:] if model in receiver else receiver[1:]
    index = next((model_indexes[a] for a in after if a in model_indexes), None)
    if index and method in ("query", "count", "scan"):
        found.index(table, {index})
        found.table(table, "Scan" if method == "scan" else None)
    elif not (after and method in AMBIGUOUS):  # Model.attr.set(...) / .update on an attribute: not a call
        found.table(table, MODEL_CALLS[method])


def needs(entry: str) -> dict:
    """What the handler `entry` (a template Handler: `app.app` or `functions.x.fn`) may touch, as JSON-ready."""
    tables: dict[str, set[str]] = {}
    indexes: dict[str, set[str]] = {}
    queues, ssm = set(), set()
    reached = reach(entry)
    # Calls WeChat's servers: it runs a gateway method (OA's IP whitelist then needs the stage's egress IP).
    wechat = any(m.startswith("scrm.gateway.") and "." in n and not m.endswith(".tokens") for m, n in reached)
    for module, name in sorted(reached):
        found = scope_needs(module, name)
        for table, actions in found["tables"].items():
            tables.setdefault(table, set()).update(actions)
        for table, names in found["indexes"].items():
            indexes.setdefault(table, set()).update(names)
        queues |= found["queues"]
        ssm |= found["ssm"]
    return {"tables": {t: sorted(a) for t, a in sorted(tables.items())},
            "indexes": {t: sorted(i) for t, i in sorted(indexes.items()) if i},
            "send_to": sorted(queues), "ssm": sorted(ssm), "calls_wechat": wechat}


def clear_caches() -> None:
    """Forget parsed sources (tests that change a module's source)."""
    for fn in (parsed, definitions, scope_needs, _named_models, _class_names, _model_aliases, _methods_named,
               _closure_cached, _module_constants, _untyped_model_calls, _class_protocol, _called_names,
               registered, routes_of, _imported_at_load):
        fn.cache_clear()


def handlers_of(template: dict) -> dict[str, str]:
    """{function logical id: handler} of a Chalice SAM template."""
    return {lid: r["Properties"]["Handler"] for lid, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def derive(handlers: dict[str, str]) -> dict:
    return {lid: needs(handler) for lid, handler in sorted(handlers.items())}


def load() -> dict:
    return json.loads(ACCESS_FILE.read_text())


def _chalice_handlers() -> dict[str, str]:
    """The handlers `chalice package` writes, without running it: app.app plus each event function."""
    sys.path[:0] = [str(LAYER), str(ROOT)]
    from app import app

    out = {"APIHandler": API_ENTRY}
    for source in app.event_sources:
        out[_logical_id(source.name)] = source.handler_string
    return out


def _logical_id(name: str) -> str:
    """Chalice's logical id for a function name: handle_events -> HandleEvents."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    derived = derive(_chalice_handlers())
    text = json.dumps(derived, indent=2, sort_keys=True) + "\n"
    if "--write" in args:
        ACCESS_FILE.write_text(text)
        print(f"wrote {ACCESS_FILE.relative_to(ROOT)}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
