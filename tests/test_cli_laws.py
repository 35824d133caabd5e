"""``schedalg law``: fit, predict, rank, optimize, in-process, and each error as one line
with exit status 2."""

import json
from pathlib import Path

import numpy as np
import pytest

import schedalg as sa
from schedalg import laws
from schedalg.cli import main
from schedalg.laws._text import law_from_dict, law_to_dict, read_law, write_law

DATA = Path(__file__).parent / "data" / "loss-curves" / "100M"
WARMUP = "linear(0.0, 3e-4, 2159)"
SCHEDULES = {  # the data README's schedules, as text
    "cosine_24000": f"join({WARMUP}, cosine(3e-4, 3e-5, 21840), boundaries=[2160])",
    "constant_24000": f"join({WARMUP}, constant(3e-4), boundaries=[2160])",
    "wsdcon_9": f"join({WARMUP}, constant(3e-4), constant(9e-5), boundaries=[2160, 8000])",
}
PUBLISHED = laws.MultiPowerLaw(2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)


def run_spec(name: str) -> str:
    return f"{DATA / name}.csv={SCHEDULES[name]}"


@pytest.fixture
def law_file(tmp_path) -> str:
    return write_law(PUBLISHED, tmp_path / "law.json")


def fails(capsys, argv: list, *words: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"schedalg law {argv[1]}: "), err
    for word in words:
        assert word in err, err
    return err


def test_fit_writes_law_and_figure_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "fit"
    argv = ["law", "fit", *map(run_spec, SCHEDULES), "--max-iter", "30", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].split() == [
        "run", "points", "r2", "mae", "rmse", "mean_rel", "worst_rel"
    ]  # fmt: skip
    for name in (*SCHEDULES, "mean", "objective"):
        assert f"\n{name} " in printed
    assert (out / "fit.png").stat().st_size > 1000
    data = json.loads((out / "law.json").read_text())
    assert data["kind"] == "multi_power" and set(data["coefficients"]) == set(
        ["L0", "A", "alpha", "B", "C", "beta", "gamma"]
    )
    law = read_law(out / "law.json")
    # a good fit even with 30 iterations: under 0.2 % mean relative error on each run
    table = laws.diagnose(
        law, {n: laws.read_csv(f"{DATA / n}.csv", s) for n, s in SCHEDULES.items()}
    )
    assert max(row["mean_rel"] for row in table) < 2e-3


@pytest.mark.parametrize(
    "law",
    [PUBLISHED, laws.AnnealingLaw(L0=2.6, A=0.6, alpha=0.45, C=0.5, lam=0.999)],
    ids=["multi_power", "annealing"],
)
def test_law_json_round_trip(tmp_path, law):
    path = write_law(law, tmp_path / "law.json")
    again = read_law(path)
    assert type(again) is type(law) and law_to_dict(again) == law_to_dict(law)
    assert law_to_dict(law_from_dict(json.loads(json.dumps(law_to_dict(law))))) == law_to_dict(law)
    steps = [100, 5000]
    wsd = sa.wsd(3e-4, 100, 4000, 1000)
    np.testing.assert_array_equal(again.predict(wsd, steps), law.predict(wsd, steps))


def test_predict_writes_csv_and_plot(tmp_path, law_file, capsys):
    out = tmp_path / "p"
    schedule = "wsd(3e-4, 2160, 17840, 4000)"
    argv = ["law", "predict", "--law", law_file, "--schedule", schedule, "--steps", "24000"]
    assert main([*argv, "--points", "50", "--out", str(out)]) == 0
    assert "predicted loss at step 23999: 2.926" in capsys.readouterr().out
    table = np.loadtxt(out / "predict.csv", delimiter=",", skiprows=1)
    assert table.shape == (50, 2) and table[0, 0] == 1 and table[-1, 0] == 23999
    assert table[-1, 1] == pytest.approx(2.926, abs=1e-3)
    assert (out / "predict.png").stat().st_size > 1000


def test_rank_orders_the_schedules(tmp_path, law_file, capsys):
    file = tmp_path / "schedules.txt"
    file.write_text(
        "# decay lengths\nwsd(3e-4, 500, 9000, 500)\n\nwsd(3e-4, 500, 7500, 2000)\n"
        "wsd(3e-4, 500, 5500, 4000)\n"
    )
    argv = ["law", "rank", "--law", law_file, "--schedules", str(file), "--steps", "10000"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["rank", "final", "loss"] and len(lines) == 4
    # laws.rank's own example: the 2000-step decay first, then 500, then 4000
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3"]
    assert "stable=7500" in lines[1] and "stable=9000" in lines[2] and "stable=5500" in lines[3]


def test_optimize_prints_the_schedule(tmp_path, law_file, capsys):
    out = tmp_path / "o"
    argv = ["law", "optimize", "--law", law_file, "--steps", "4000", "--peak", "3e-4"]
    assert main([*argv, "--warmup", "200", "--family", "wsd", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("wsd(") and "decay_shape='1-sqrt'" in printed[0]
    assert printed[1].startswith("predicted final loss 3.2629")
    assert (out / "optimize.png").stat().st_size > 1000
    assert (out / "schedule.json").exists()


# ----------------------------------------------------------------------------
# Errors: one line, status 2, nothing written.

SCHEDULE = "wsd(1e-3, 10, 150, 50)"


@pytest.mark.parametrize(
    "text, words",
    [
        ("step,loss\n100,3.2\n200,3.0,7\n", ["malformed CSV", "line 3"]),
        ("step,loss\n100,3.2\n200,abc\n", ["malformed CSV", "'abc'"]),
        ("step,value\n100,3.2\n200,3.0\n", ["no 'loss' column"]),
        ("loss\n3.2\n3.0\n", ["no 'step' column"]),
        ("step,loss\n100,3.2\n200,nan\n", ["must be finite", "step 200"]),
        ("step,loss\n100,3.2\n100,3.0\n", ["strictly increasing"]),
        ("step,loss\n100,3.2\n300,3.0\n", ["covers steps up to 210", "step 300"]),
    ],
    ids=["fields", "number", "no-loss", "no-step", "nan", "steps", "coverage"],
)
def test_fit_errors(tmp_path, capsys, text, words):
    path = tmp_path / "run.csv"
    path.write_text(text)
    out = tmp_path / "out"
    fails(capsys, ["law", "fit", f"{path}={SCHEDULE}", "--out", str(out)], *words)
    assert not out.exists()


def test_fit_bad_run_specs(tmp_path, capsys):
    fails(capsys, ["law", "fit", str(tmp_path / "missing.csv=constant(1.0)")], "no such file")
    (tmp_path / "run.csv").write_text("step,loss\n1,3\n2,2\n")
    fails(capsys, ["law", "fit", str(tmp_path / "run.csv")], "CSV=SCHEDULE_EXPR")
    fails(capsys, ["law", "fit", f"{tmp_path / 'run.csv'}=wsd(oops"], "does not parse")


def test_fit_train_directory_and_lr_column_errors(tmp_path, capsys):
    run = tmp_path / "train"
    run.mkdir()
    (run / "steps.csv").write_text("step,lr,loss\n100,0.001,3.2\n200,0.001,3.0\n")
    fails(capsys, ["law", "fit", str(run)], "no readable config.json")
    (run / "config.json").write_text(json.dumps({"schedule": "constant(0.002)"}))
    fails(capsys, ["law", "fit", str(run)], "lr column differs", "step 100")


def test_bad_law_files(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    argv = ["law", "predict", "--law", str(bad), "--schedule", "constant(1e-3)", "--steps", "10"]
    fails(capsys, argv, "cannot read law file")
    bad.write_text("{not json")
    fails(capsys, argv, "not valid JSON")
    bad.write_text(json.dumps({"kind": "power", "coefficients": {}}))
    fails(capsys, argv, "unknown law kind 'power'")
    bad.write_text(json.dumps({"kind": "annealing", "coefficients": {"L0": 2.0}}))
    fails(capsys, argv, "missing annealing coefficients")
    coefficients = {"L0": "x", "A": 0.6, "alpha": 0.45, "C": 0.5}
    bad.write_text(json.dumps({"kind": "annealing", "coefficients": coefficients}))
    fails(capsys, argv, "must be a finite number")


def test_rank_and_optimize_errors(tmp_path, law_file, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    argv = ["law", "rank", "--law", law_file, "--steps", "100", "--schedules"]
    fails(capsys, [*argv, str(empty)], "no schedule expressions")
    fails(capsys, [*argv, str(tmp_path / "none.txt")], "cannot read --schedules")
    empty.write_text("wsd(oops\n")
    fails(capsys, [*argv, str(empty)], "bad schedule")
    argv = ["law", "optimize", "--law", law_file, "--steps", "100", "--peak", "-1"]
    fails(capsys, [*argv, "--out", str(tmp_path / "o")], "peak must be > 0")
    assert not (tmp_path / "o").exists()
