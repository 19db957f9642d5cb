r"""Reply-rule patterns in RE2 (google-re2), a linear-time engine, within budgets fixed up front.

No backtracking, so no pattern/message pair can take more than (message bytes x program size) steps. A pattern
is at most MAX_REGEX_LEN characters, compiles within REGEX_MAX_MEM and to at most MAX_REGEX_PROGRAM
instructions; an account's enabled regex rules total at most MAX_REGEX_PROGRAM_PER_ACCOUNT (scrm.domain.replies,
which re-exports these names, says how they are matched). Pure: the request model of a rule
(scrm.contracts.replies) and the matcher both compile through `compile_regex`.
"""

from __future__ import annotations

import re2

MAX_REGEX_LEN = 200
MAX_REGEX_TEXT_BYTES = 2048  # RE2 works on UTF-8: regex rules see at most this many bytes of the message
# RE2 budgets. Time per search <= bytes x program size x a few ns (NFA fallback, measured by bench/replies.py).
MAX_REGEX_PROGRAM = 2_000  # instructions per pattern: \p{L} is 1,201, typical keyword patterns 10-60
MAX_REGEX_PROGRAM_PER_ACCOUNT = 5_000  # over an account's enabled regex rules: ~200 typical patterns
REGEX_MAX_MEM = 256 << 10  # RE2 max_mem per pattern (program + DFA cache): compile cost and memory bounded


class RegexRefused(ValueError):
    """A pattern the reply-rule engine (RE2, within its budgets) will not run; the message says why.

    `compiled` is true when RE2 got as far as building the program (refused for its size), a cost worth
    counting; syntax refusals are cheap.
    """

    def __init__(self, message: str, compiled: bool = False):
        super().__init__(message)
        self.compiled = compiled


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False  # rules have always matched case-insensitively
    options.max_mem = REGEX_MAX_MEM
    options.log_errors = False  # refusals are answered or logged by us, not printed to stderr by RE2
    return options


_RE2_OPTIONS = _re2_options()
# What Python's `re` has and RE2 has not, keyed by the start of RE2's message, said in the operator's terms.
_UNSUPPORTED = (
    ("invalid escape sequence: \\Z", "\\Z is not supported: use \\z for the end of the message"),
    ("invalid perl operator: (?=", "lookahead (?=...) is not supported"),
    ("invalid perl operator: (?!", "negative lookahead (?!...) is not supported"),
    ("invalid perl operator: (?<", "lookbehind (?<=...) and (?<!...) are not supported"),
    ("invalid perl operator: (?P", "backreferences (?P=name) are not supported"),
    ("invalid perl operator: (?>", "atomic groups (?>...) are not supported"),
    ("invalid perl operator: (?(", "conditionals (?(...)...) are not supported"),
    ("invalid perl operator: (?#", "comments (?#...) are not supported"),
    ("invalid perl operator: (?x", "verbose mode (?x) is not supported"),
    ("bad repetition operator", "possessive quantifiers (*+, ++, ?+, {n}+) are not supported"),
    ("invalid repetition size", "a repetition count is at most 1000, nested counts included"),
    ("pattern too large", f"too complex: it does not compile within {REGEX_MAX_MEM // 1024} KiB"),
)


def _refusal(detail: str) -> str:
    reason = next((why for prefix, why in _UNSUPPORTED if detail.startswith(prefix)), None)
    if reason is None and detail.startswith("invalid escape sequence: \\") and detail[-1:].isdigit():
        reason = "backreferences (\\1 ...) are not supported"
    if reason is None:
        return f"not a valid regular expression (RE2 syntax): {detail}"
    return f"{reason} (RE2 syntax: {detail})"


def compile_regex(pattern: str) -> re2._Regexp:
    """The RE2 program a regex rule runs for `pattern`; RegexRefused when it cannot run within the budgets."""
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > MAX_REGEX_LEN:
        raise RegexRefused(f"a pattern is a non-empty string of at most {MAX_REGEX_LEN} characters")
    try:
        compiled = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) \
            else str(exc)
        raise RegexRefused(_refusal(detail), compiled=detail.startswith("pattern too large")) from None
    if compiled.programsize > MAX_REGEX_PROGRAM:
        raise RegexRefused(f"too complex: compiles to {compiled.programsize} RE2 instructions, at most "
                           f"{MAX_REGEX_PROGRAM}", compiled=True)
    return compiled


def regex_text(text: str) -> bytes:
    """What regex rules search: the first MAX_REGEX_TEXT_BYTES bytes of `text` in UTF-8, whole characters."""
    return text.encode("utf-8")[:MAX_REGEX_TEXT_BYTES].decode("utf-8", "ignore").encode("utf-8")
