"""The small-number rule on its own: primary suppression below the threshold, complementary
suppression within a group and across a row's parts, derived values over too few items."""

from __future__ import annotations

from sunlight.stats.suppress import Measure, RawRow, apply

COUNT = (Measure("n", "N"),)


def cells(rows: list[RawRow], *, threshold: int = 5, measures: tuple[Measure, ...] = COUNT):
    return [c for _, c in apply(measures, rows, threshold).rows]


def test_counts_from_one_to_threshold_minus_one_are_hidden_zero_and_five_are_not() -> None:
    found = cells([RawRow((str(v),), {"n": v}) for v in (0, 1, 4, 5, 12)])
    shown = [(c["n"].value, c["n"].suppressed, c["n"].display(5)) for c in found]
    assert shown == [
        (0, False, "0"),
        (None, True, "fewer than 5"),
        (None, True, "fewer than 5"),
        (5, False, "5"),
        (12, False, "12"),
    ]


def test_a_lone_hidden_part_of_a_group_hides_the_next_smallest_nonzero_part() -> None:
    rows = [
        RawRow(("total",), {"n": 40}),
        RawRow(("a",), {"n": 3}, group="g"),
        RawRow(("b",), {"n": 0}, group="g"),
        RawRow(("c",), {"n": 9}, group="g"),
        RawRow(("d",), {"n": 28}, group="g"),
    ]
    found = cells(rows)
    assert found[0]["n"].value == 40
    assert found[1]["n"].why == "small"
    assert found[2]["n"].value == 0  # a zero is not the complement: it would reveal nothing
    assert found[3]["n"].why == "complementary"
    assert found[3]["n"].display(5) == "withheld (protects a small number)"
    assert found[4]["n"].value == 28


def test_two_hidden_parts_need_no_complement() -> None:
    rows = [RawRow((k,), {"n": v}, group="g") for k, v in (("a", 2), ("b", 3), ("c", 30))]
    found = cells(rows)
    assert [c["n"].suppressed for c in found] == [True, True, False]


def test_complementary_suppression_runs_across_rows_and_columns_until_stable() -> None:
    measures = (Measure("with", "With"), Measure("without", "Without"))
    rows = [
        RawRow(("x",), {"with": 2, "without": 10}, group="t"),
        RawRow(("y",), {"with": 20, "without": 30}, group="t"),
    ]
    table = apply(measures, rows, 5, row_parts=("with", "without"))
    hidden = {
        (labels[0], name): cell.suppressed
        for labels, row in table.rows
        for name, cell in row.items()
    }
    # x.with is small; its row partner x.without and its column partner y.with are hidden,
    # and then y.without so that y's row does not give y.with away.
    assert hidden == {
        ("x", "with"): True,
        ("x", "without"): True,
        ("y", "with"): True,
        ("y", "without"): True,
    }


def test_a_median_over_fewer_items_than_the_threshold_is_hidden() -> None:
    measures = (Measure("n", "N"), Measure("median", "Median", kind="derived", basis="n"))
    rows = [RawRow(("a",), {"n": 4, "median": 2.0}), RawRow(("b",), {"n": 5, "median": 3.0})]
    found = cells(rows, measures=measures)
    assert found[0]["median"].suppressed
    assert found[0]["median"].display(5) == "not shown: over fewer than 5"
    assert found[1]["median"].value == 3.0


def test_a_hidden_row_hides_every_cell() -> None:
    found = cells([RawRow(("one officer",), {"n": 40}, hidden="officers")])
    assert found[0]["n"].suppressed and found[0]["n"].value is None


def test_a_rate_that_would_give_a_hidden_part_away_is_hidden() -> None:
    measures = (
        Measure("expected", "Expected"),
        Measure("with", "With"),
        Measure("without", "Without"),
        Measure("rate", "Rate", kind="derived", basis="expected", reveals=("with", "without")),
    )
    rows = [RawRow(("u",), {"expected": 10, "with": 8, "without": 2, "rate": 80.0})]
    table = apply(measures, rows, 5, row_parts=("with", "without"))
    found = table.rows[0][1]
    assert found["expected"].value == 10
    assert found["without"].why == "small" and found["with"].why == "complementary"
    assert found["rate"].suppressed  # 80 % of 10 would give the 8 and the 2 away
