"""The CLI's tables align by display width: a CJK character takes two terminal columns."""

from __future__ import annotations

from scrm_cli.tables import clip, render, table, width

NAME = "门店导购"


def _starts(line: str, text: str) -> int:
    """The display column where `text` starts in `line`."""
    return width(line[:line.index(text)])


def test_width_counts_cjk_as_two_columns():
    assert width("门店导购") == 8 and width("shop") == 4 and width("e\u0301") == 1  # combining accent: none
    assert width("ＡＢ") == 4  # fullwidth forms


def test_columns_line_up_with_chinese_names():
    rows = [{"channel_id": "c1", "name": "门店导购", "group": "stores"},
            {"channel_id": "c22", "name": "Poster", "group": "ads"}]
    header, rule, first, second = table(rows).splitlines()
    assert _starts(header, "group") == _starts(first, "stores") == _starts(second, "ads")
    assert _starts(header, "name") == _starts(first, "门店导购") == _starts(second, "Poster")
    assert [len(dashes) for dashes in rule.split()] == [width("channel_id"), width(NAME), width("stores")]


def test_long_values_are_clipped_by_display_width():
    clipped = clip("门" * 30, 10)
    assert width(clipped) <= 10 and clipped.endswith("…")
    assert clip("short") == "short"


def test_an_object_renders_as_fields_and_its_lists_as_tables():
    text = render({"plan_id": "p1", "counts": {"done": 2, "waiting": 1}, "notices": [{"takeover_userid": "张三"}]})
    lines = text.splitlines()
    assert lines[0].split() == ["plan_id", "p1"]
    assert "counts.done" in text and "counts.waiting" in text
    assert "notices:" in text and "张三" in text


def test_empty_lists_say_so():
    assert render([]) == "(none)"
