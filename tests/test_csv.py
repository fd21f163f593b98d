"""datasets.from_csv: good input loads; every bad input gets one line naming the file and the problem."""
import numpy as np
import pytest

import datasets
from datasets import DataError

GOOD = "a,b,c\n1,2,3\n2,3.5,1\n3,1,-2e-1\n4,0,7\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def bad(path, match, truth=None):
    with pytest.raises(DataError) as info:
        datasets.from_csv(path, truth=truth)
    msg = str(info.value)
    assert "\n" not in msg, msg
    named = truth if truth is not None and str(truth) in msg else path
    assert msg.startswith(f"{named}: "), msg
    assert match in msg, msg
    return msg


def test_good_table_without_truth(tmp_path):
    ds = datasets.from_csv(write(tmp_path, "mine.csv", GOOD))
    assert ds.name == "mine" and ds.variables == ("a", "b", "c")
    np.testing.assert_array_equal(ds.X[:, 2], [3, 1, -0.2, 7])
    assert ds.graph.sum() == 0 and ds.meta["has_truth"] is False and ds.interventions is None


def test_good_table_with_truth(tmp_path):
    data = write(tmp_path, "mine.csv", GOOD)
    truth = write(tmp_path, "edges.csv", "cause,effect\na,b\nb,c\n\na,c\n")
    ds = datasets.from_csv(data, truth=truth)
    assert ds.meta["has_truth"] is True
    assert ds.graph.tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]


def test_missing_file(tmp_path):
    bad(tmp_path / "nope.csv", "file not found")


def test_directory(tmp_path):
    bad(tmp_path, "is a directory")


def test_empty_file(tmp_path):
    bad(write(tmp_path, "e.csv", ""), "empty file")


def test_non_numeric_cell_names_column_and_row(tmp_path):
    msg = bad(write(tmp_path, "x.csv", "a,b\n1,2\n3,hello\n4,5\n"), "non-numeric value 'hello'")
    assert "column 'b'" in msg and "row 2 (file line 3)" in msg


def test_missing_cell(tmp_path):
    msg = bad(write(tmp_path, "x.csv", "a,b\n1,2\n,3\n4,5\n"), "missing value in column 'a'")
    assert "row 2" in msg


def test_nan_and_inf(tmp_path):
    bad(write(tmp_path, "n.csv", "a,b\n1,2\n3,NaN\n4,5\n"), "NaN in column 'b', row 2")
    bad(write(tmp_path, "i.csv", "a,b\n1,2\n3,4\n-inf,5\n"), "infinite value in column 'a', row 3")


def test_constant_column(tmp_path):
    bad(write(tmp_path, "c.csv", "a,b\n1,2\n3,2\n4,2\n"), "column 'b' is constant (2 in every row)")


def test_too_few_columns_or_rows(tmp_path):
    bad(write(tmp_path, "one.csv", "a\n1\n2\n3\n"), "needs at least 2 columns (variables), found 1")
    bad(write(tmp_path, "two.csv", "a,b\n1,2\n3,4\n"), "needs at least 3 data rows, found 2")


def test_duplicate_and_empty_names(tmp_path):
    bad(write(tmp_path, "d.csv", "a,b,a\n1,2,3\n2,3,4\n3,5,1\n"), "duplicate variable name 'a'")
    bad(write(tmp_path, "e.csv", "a,,c\n1,2,3\n2,3,4\n3,5,1\n"), "empty variable name in the header (column 2)")


def test_ragged_row(tmp_path):
    bad(write(tmp_path, "r.csv", "a,b\n1,2\n3,4,5\n4,5\n"), "row 2 (file line 3) has 3 fields, the header has 2")


def test_truth_unknown_variable(tmp_path):
    data = write(tmp_path, "mine.csv", GOOD)
    truth = write(tmp_path, "t.csv", "cause,effect\na,b\nb,zz\n")
    bad(data, "edge b -> zz (line 3) names unknown variable 'zz'", truth=truth)


def test_truth_cycle(tmp_path):
    data = write(tmp_path, "mine.csv", GOOD)
    truth = write(tmp_path, "t.csv", "cause,effect\na,b\nb,c\nc,a\n")
    msg = bad(data, "truth graph has a directed cycle", truth=truth)
    assert "a -> b -> c -> a" in msg


def test_truth_bad_header_self_loop_missing(tmp_path):
    data = write(tmp_path, "mine.csv", GOOD)
    bad(data, "header must be 'cause,effect', found 'from,to'", truth=write(tmp_path, "h.csv", "from,to\na,b\n"))
    bad(data, "edge a -> a (line 2) is a self-loop", truth=write(tmp_path, "s.csv", "cause,effect\na,a\n"))
    bad(data, "file not found", truth=tmp_path / "missing.csv")
    bad(data, "line 3 has 3 fields, expected 2", truth=write(tmp_path, "f.csv", "cause,effect\na,b\nb,c,0.5\n"))
    bad(data, "line 2 has 1 fields, expected 2", truth=write(tmp_path, "o.csv", "cause,effect\na\n"))


def test_long_cells_are_shortened_to_one_line(tmp_path):
    cell = '"' + "x" * 200 + '\nmore"'
    msg = bad(write(tmp_path, "l.csv", f"a,b\n1,2\n3,{cell}\n4,5\n"), "non-numeric value")
    assert len(msg) < 300


def test_provenance_and_types_are_recorded(tmp_path):
    import hashlib

    data = write(tmp_path, "mine.csv", GOOD)
    truth = write(tmp_path, "edges.csv", "cause,effect\na,b\n")
    for t in (None, truth):
        ds = datasets.from_csv(data, truth=t)
        assert ds.graph.dtype == np.int8 and ds.X.dtype == np.float64
        assert ds.meta == {**ds.meta, "suite": "csv", "source": str(data), "noise": "unknown", "real": True,
                           "sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "has_truth": t is not None,
                           "truth_is_dag": True, "truth_source": str(t) if t else None}


def test_excel_style_file_with_bom_crlf_and_quoted_newline(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes("\ufeffa,\"b\"\r\n1,2\r\n3,4\r\n5,7\r\n".encode("utf-8"))
    ds = datasets.from_csv(p)
    assert ds.variables == ("a", "b") and ds.X.tolist() == [[1, 2], [3, 4], [5, 7]]
    # a quoted cell spanning lines is one cell: the row after it keeps its own line number
    msg = bad(write(tmp_path, "q.csv", 'a,b\n1,2\n3,"x\ny"\n4,5\n6,z\n'), "non-numeric value")
    assert "'x y'" in msg


def test_a_long_cell_is_cut_at_the_limit_and_marked():
    from datasets.tables import MAX_SHOWN, _show

    assert _show("a  b\n c") == "'a b c'"
    assert _show("x" * MAX_SHOWN) == repr("x" * MAX_SHOWN)
    assert _show("x" * (MAX_SHOWN + 1)) == repr("x" * MAX_SHOWN + "...")
