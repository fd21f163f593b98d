"""Edge lists with the variables' names, and the report's edges where a dataset has no truth."""
import numpy as np
import pandas as pd

from bench.graphs import edge_list, file_name, untruthed_lines, write_edge_lists


def test_edge_list_names_directed_and_undirected_edges_once():
    names = ["rain", "sprinkler", "wet"]
    graph = np.array([[0, 0, 1], [0, 0, 1], [0, 1, 0]])  # rain -> wet, sprinkler -- wet
    scores = np.array([[0, 0.1, 0.9], [0.2, 0, 0.4], [0.3, 0.6, 0]])
    e = edge_list(scores, graph, names)
    assert list(e.columns) == ["source", "target", "score", "directed"]
    assert e.to_dict("records") == [{"source": "rain", "target": "wet", "score": 0.9, "directed": True},
                                    {"source": "sprinkler", "target": "wet", "score": 0.6, "directed": False}]


def test_file_names_keep_settings_apart_and_are_safe():
    a = file_name({"dataset": "my data", "method": "pc(alpha=0.2)", "seed": 0})
    b = file_name({"dataset": "my data", "method": "pc", "seed": 0})
    assert a != b and "/" not in a and " " not in a and a.endswith(".csv")


def test_untruthed_data_get_each_methods_edges_and_where_they_agree(tmp_path):
    from bench.store import write_result
    from bench.tables import jobs_table
    from tests.test_tables import record
    (tmp_path / "truths").mkdir()
    (tmp_path / "truths" / "dig.names").write_text("a\nb\nc")
    recs = []
    for m, G in (("m1", [[0, 1, 0], [0, 0, 1], [0, 0, 0]]), ("m2", [[0, 1, 0], [0, 0, 0], [1, 0, 0]])):
        r = record(m, "mine", tags={"d": 3})
        r.update(dataset_digest="dig", dataset_properties={"has_truth": False}, metrics={})
        write_result(tmp_path, r, {"scores": np.array(G, float), "graph": np.array(G)})
        recs.append(r)
    jobs = jobs_table(recs)
    paths = write_edge_lists(jobs, tmp_path)
    assert len(paths) == 2 and not list((tmp_path / "graphs").glob(".*"))  # no temporary file left
    assert pd.read_csv(paths[0])[["source", "target"]].values.tolist() in ([["a", "b"], ["b", "c"]],
                                                                           [["a", "b"], ["c", "a"]])
    text = "\n".join(untruthed_lines(jobs, tmp_path))
    assert "| m1 | 2 | a → b (1), b → c (1) |" in text
    assert "| a – b | 2 | a → b: 2 | m1, m2 |" in text  # the one edge both predict
