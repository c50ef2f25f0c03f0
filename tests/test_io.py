"""Rule-script plumbing: what reaches a rule's log file (progress, bad input, unexpected
errors with their traceback), and atomic outputs."""

from __future__ import annotations

import logging

import pytest
from mosecrot import io


def _run(tmp_path, func):
    log = tmp_path / "rule.log"
    with pytest.raises(SystemExit):
        io.run_rule(str(log), func)
    return log.read_text()


def test_bad_input_is_one_line_without_traceback(tmp_path):
    def bad():
        raise io.PipelineInputError("data/x.tsv: line 3 is not UTF-8; convert the file")

    text = _run(tmp_path, bad)
    assert "data/x.tsv: line 3 is not UTF-8" in text and "Traceback" not in text


def test_unexpected_errors_reach_the_log_with_their_traceback(tmp_path):
    def broken():
        {}["en"]  # noqa: B018 - the KeyError a missing config key used to give

    log = tmp_path / "rule.log"
    with pytest.raises(KeyError):
        io.run_rule(str(log), broken)
    text = log.read_text()
    assert "unexpected error in broken" in text and "Traceback" in text and "KeyError: 'en'" in text


def test_progress_lines_reach_the_log_without_a_terminal(tmp_path):
    log = tmp_path / "rule.log"
    io.setup_logging(str(log))
    assert list(io.progress(range(5), desc="relrep chunks", unit="chunk", every_s=0)) == [0, 1, 2, 3, 4]
    logging.shutdown()
    text = log.read_text()
    assert "relrep chunks: 5/5 chunk" in text and text.count("relrep chunks") >= 5


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert not target.exists() and not list(tmp_path.iterdir())
