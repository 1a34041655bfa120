"""Genius XML import and export: the hand-made domain, Genius's formula, round trips, errors."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offramp.assess import analyze
from offramp.errors import InputError
from offramp.io import FORMATS
from offramp.io.genius import read_genius, write_genius
from offramp.problem import Space, compile_problem
from offramp.settle.space import utilities, utility_tables
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "io" / "genius"
CEASEFIRE = [
    DATA / "ceasefire-domain.xml",
    DATA / "ceasefire-kyiv.xml",
    DATA / "ceasefire-moscow.xml",
]
NEGMAS = ROOT / "benchmarks" / ".env-negmas" / "bin" / "python"


def genius_utilities(domain: Path, profile: Path) -> dict[tuple[str, ...], float]:
    """Genius's formula, written from the Java source independently of offramp's reader.

    ``AdditiveUtilitySpace.getUtility`` = min(1, sum_i w_i e_i); ``EvaluatorDiscrete``
    divides rounded evaluations by the rounded maximum when that exceeds 1.
    """
    issues = [
        (i.get("index"), [item.get("value") for item in i.iter("item")])
        for i in ET.parse(domain).getroot().iter("issue")
    ]
    root = ET.parse(profile).getroot()
    weights = {w.get("index"): float(w.get("value", "0")) for w in root.iter("weight")}
    evals = {
        i.get("index"): {it.get("value"): float(it.get("evaluation", "0")) for it in i.iter("item")}
        for i in root.iter("issue")
    }

    def e(index: str | None, value: str | None) -> float:
        table = evals[index]
        top = math.floor(max(table.values()) + 0.5)
        if top > 1:
            return math.floor(table[value] + 0.5) / top
        return table[value]

    out = {}
    for bid in itertools.product(*(values for _, values in issues)):
        total = sum(weights[index] * e(index, v) for (index, _), v in zip(issues, bid, strict=True))
        out[tuple(str(v) for v in bid)] = min(1.0, total)
    return out


def offramp_utilities(
    scenario_path_list: list[Path],
) -> tuple[list[str], dict[tuple[str, ...], list[float]]]:
    scenario = read_genius(scenario_path_list).scenario
    space = Space.of(scenario)
    options = space.options_of(np.arange(space.size))
    u = utilities(utility_tables(scenario), options)
    labels = [[o.label for o in issue.options] for issue in scenario.issues]
    table = {
        tuple(labels[i][k] for i, k in enumerate(row)): u[:, n].tolist()
        for n, row in enumerate(options)
    }
    return [a.id for a in scenario.actors], table


def test_registered() -> None:
    assert FORMATS["genius"].read is read_genius and FORMATS["genius"].write is write_genius


def test_hand_made_domain_maps_and_warns() -> None:
    imported = read_genius(CEASEFIRE)
    s = imported.scenario
    assert [i.id for i in s.issues] == ["Line", "Monitors", "Sanctions"]
    assert [o.at for o in s.issue("Monitors").options] == [0, 50, 100]
    kyiv, moscow = s.actor("kyiv"), s.actor("moscow")
    assert (kyiv.batna, moscow.batna, kyiv.veto, kyiv.power) == (0.3, 0.25, True, 1)
    # 1, 5 / 0, 2, 4 / 4, 1 divided by the issue maxima 5, 4, 4
    assert [st.values for st in kyiv.stances] == [
        {"Current_line": 0.2, "Pre-2022_line": 1.0},
        {"None": 0.0, "UN": 0.5, "OSCE": 1.0},
        {"Kept": 1.0, "Eased": 0.25},
    ]
    assert [st.position for st in kyiv.stances] == ["Pre-2022_line", "OSCE", "Kept"]
    messages = [str(w) for w in imported.warnings]
    assert any(m.startswith(f"{CEASEFIRE[2]}:22: discount factor 0.9 not mapped") for m in messages)


def test_hand_made_nash_point() -> None:
    """The Nash point computed by hand.

    Utilities (kyiv, moscow) of the 12 bids, from the profiles' weights and
    evaluations (kyiv: 0.5 e_line + 0.3 e_monitors + 0.2 e_sanctions with
    e = evaluation / issue maximum; moscow: 0.4, 0.2, 0.4 with raw evaluations):

    ============================  ====  ====  ==============  ==========
    bid                           kyiv  mosc  in ZOPA (>.3,>.25)  product
    ============================  ====  ====  ==============  ==========
    Current, None, Kept           0.30  0.60  no (0.30)
    Current, None, Eased          0.15  1.00  no
    Current, UN, Kept             0.45  0.52  yes             .15 * .27 = .0405
    Current, UN, Eased            0.30  0.92  no (0.30)
    Current, OSCE, Kept           0.60  0.44  yes             .30 * .19 = .0570
    Current, OSCE, Eased          0.45  0.84  yes             .15 * .59 = .0885
    Pre-2022, None, Kept          0.70  0.20  no
    Pre-2022, None, Eased         0.55  0.60  yes             .25 * .35 = .0875
    Pre-2022, UN, Kept            0.85  0.12  no
    Pre-2022, UN, Eased           0.70  0.52  yes             .40 * .27 = .1080
    Pre-2022, OSCE, Kept          1.00  0.04  no
    Pre-2022, OSCE, Eased         0.85  0.44  yes             .55 * .19 = .1045
    ============================  ====  ====  ==============  ==========
    """
    result = analyze(compile_problem(read_genius(CEASEFIRE).scenario))
    assert result.zopa_count == 6
    nash = result.solutions["nash"]
    assert nash is not None
    assert nash.package == {"Line": "Pre-2022_line", "Monitors": "UN", "Sanctions": "Eased"}
    assert nash.utility == pytest.approx({"kyiv": 0.70, "moscow": 0.52})


def test_every_package_matches_genius_formula() -> None:
    actors, table = offramp_utilities(CEASEFIRE)
    for a, profile in enumerate(CEASEFIRE[1:]):
        reference = genius_utilities(CEASEFIRE[0], profile)
        assert set(reference) == set(table)
        for bid, value in reference.items():
            assert table[bid][a] == pytest.approx(value, abs=1e-12), (actors[a], bid)


def test_round_trip(tmp_path: Path) -> None:
    first = read_genius(CEASEFIRE).scenario
    written = write_genius(first, tmp_path / "out")
    assert [p.name for p in written] == [
        "ceasefire-domain.xml",
        "ceasefire-kyiv.xml",
        "ceasefire-moscow.xml",
    ]
    second = read_genius(written).scenario
    assert second.model_dump() == first.model_dump()
    # and Genius's formula on the written files gives offramp's utilities
    _, table = offramp_utilities(written)
    for a, profile in enumerate(written[1:]):
        for bid, value in genius_utilities(written[0], profile).items():
            assert table[bid][a] == pytest.approx(value, abs=1e-12)


@st.composite
def genius_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A random discrete Genius domain and two or three profiles (integer or [0, 1] evaluations)."""
    n_issues = draw(st.integers(1, 3))
    sizes = [draw(st.integers(2, 4)) for _ in range(n_issues)]
    names = [[f"v{i}{k} x" for k in range(n)] for i, n in enumerate(sizes)]

    def issue(i: int, evals: list[str] | None) -> str:
        items = "".join(
            f'<item index="{k + 1}" value="{v}"'
            + (f' evaluation="{evals[k]}"' if evals else "")
            + "/>"
            for k, v in enumerate(names[i])
        )
        return f'<issue index="{i + 1}" name="Issue {i}" type="discrete">{items}</issue>'

    domain = (
        '<negotiation_template><utility_space><objective index="0" name="root">'
        + "".join(issue(i, None) for i in range(n_issues))
        + "</objective></utility_space></negotiation_template>"
    )
    profiles = []
    for _ in range(draw(st.integers(2, 3))):
        raw = [draw(st.integers(1, 9)) for _ in range(n_issues)]
        weights = [r / sum(raw) for r in raw]
        body = ""
        for i, n in enumerate(sizes):
            if draw(st.booleans()):
                evals = [str(draw(st.integers(0, 9))) for _ in range(n)]
            else:
                evals = [str(draw(st.integers(0, 20)) / 20) for _ in range(n)]
            body += issue(i, evals)
        body += "".join(f'<weight index="{i + 1}" value="{w!r}"/>' for i, w in enumerate(weights))
        batna = draw(st.integers(0, 10)) / 10
        profiles.append(
            f'<utility_space><objective index="0" name="root">{body}</objective>'
            f'<discount_factor value="1.0"/><reservation value="{batna}"/></utility_space>'
        )
    return domain, profiles


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=genius_files())
def test_generated_files_match_genius_and_round_trip(
    files: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    domain, profiles = files
    folder = tmp_path_factory.mktemp("g")
    paths = [folder / "gen-domain.xml"] + [folder / f"gen-p{k}.xml" for k in range(len(profiles))]
    for path, text in zip(paths, [domain, *profiles], strict=True):
        path.write_text(text, encoding="utf-8")
    if any(max(genius_utilities(paths[0], p).values()) <= 0 for p in paths[1:]):
        return  # a party valuing everything at 0 is not a valid offramp actor
    try:
        first = read_genius(paths).scenario
    except InputError as err:  # all-zero evaluations on every weighted issue
        assert "indifferent" in str(err) or "salience" in str(err)
        return
    _, table = offramp_utilities(paths)
    for a, profile in enumerate(paths[1:]):
        for bid, value in genius_utilities(paths[0], profile).items():
            assert table[bid][a] == pytest.approx(value, abs=1e-9)
    again = read_genius(write_genius(first, folder / "out")).scenario
    assert again.model_dump() == first.model_dump()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PROFILE = """<utility_space>
<objective index="0" name="root">
<issue index="1" name="Line">
<item index="1" value="Current line" evaluation="1"/>
<item index="2" value="Pre-2022 line" evaluation="EVAL"/>
</issue>
<issue index="2" name="Monitors">
<item index="1" value="None" evaluation="1"/>
<item index="2" value="UN" evaluation="0"/>
<item index="3" value="OSCE" evaluation="0"/>
</issue>
<issue index="3" name="Sanctions">
<item index="1" value="Kept" evaluation="1"/>
<item index="2" value="Eased" evaluation="0"/>
</issue>
WEIGHTS
</objective>
<reservation value="RES"/>
</utility_space>
"""
WEIGHTS = (
    '<weight index="1" value="0.5"/><weight index="2" value="0.25"/>'
    '<weight index="3" value="0.25"/>'
)


@pytest.mark.parametrize(
    ("eval_", "weights", "res", "line", "message"),
    [
        (
            "abc",
            WEIGHTS,
            "0.2",
            5,
            "value `Pre-2022 line`: `evaluation` must be a number; got 'abc'",
        ),
        ("-1", WEIGHTS, "0.2", 5, "evaluations must be >= 0; got -1"),
        ("2", WEIGHTS, "1.5", 18, "reservation value must be a utility in [0, 1]; got 1.5"),
        (
            "2",
            WEIGHTS.replace('<weight index="3" value="0.25"/>', ""),
            "0.2",
            12,
            "issue `Sanctions` has no <weight index=...>",
        ),
    ],
)
def test_malformed_profiles(
    tmp_path: Path, eval_: str, weights: str, res: str, line: int, message: str
) -> None:
    text = PROFILE.replace("EVAL", eval_).replace("WEIGHTS", weights).replace("RES", res)
    path = _write(tmp_path, "p.xml", text)
    with pytest.raises(InputError) as caught:
        read_genius([CEASEFIRE[0], path])
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(path), line)
    assert message in problem.message


def test_broken_xml(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.xml", "<utility_space>\n<objective>\n<issue>\n</objective>\n")
    with pytest.raises(InputError, match=r"p\.xml:4: not well-formed XML: mismatched tag"):
        read_genius([CEASEFIRE[0], path])


def test_unknown_value_and_wrong_domain(tmp_path: Path) -> None:
    text = PROFILE.replace("EVAL", "2").replace("WEIGHTS", WEIGHTS).replace("RES", "0")
    path = _write(tmp_path, "p.xml", text.replace('value="UN"', 'value="NATO"'))
    with pytest.raises(InputError, match=r"p\.xml:9: `NATO` is not a value of issue `Monitors`"):
        read_genius([CEASEFIRE[0], path])
    path = _write(tmp_path, "q.xml", text.replace('name="Line"', 'name="Border"'))
    with pytest.raises(InputError, match=r"q\.xml:3: issue 1 is `Border` here but `Line`"):
        read_genius([CEASEFIRE[0], path])
    with pytest.raises(InputError, match="give the domain file first"):
        read_genius([CEASEFIRE[0]])
    path = _write(
        tmp_path, "d.xml", "<negotiation_template>\n<utility_space/>\n</negotiation_template>"
    )
    with pytest.raises(InputError, match=r"d\.xml:1: no <objective> element"):
        read_genius([path, CEASEFIRE[1]])


def test_warnings_for_what_is_not_mapped(tmp_path: Path) -> None:
    domain = (
        (DATA / "ceasefire-domain.xml")
        .read_text()
        .replace(
            "    </objective>",
            '      <issue index="4" name="Money" type="real" etype="real" vtype="real" '
            'lowerbound="0" upperbound="10"/>\n    </objective>',
        )
    )
    dpath = _write(tmp_path, "x-domain.xml", domain)
    text = PROFILE.replace("EVAL", "2").replace("WEIGHTS", WEIGHTS.replace("0.5", "0.4"))
    ppath = _write(tmp_path, "x-a.xml", text.replace("RES", "0"))
    no_res = _write(tmp_path, "x-b.xml", text.replace('<reservation value="RES"/>\n', ""))
    imported = read_genius([dpath, ppath, no_res])
    messages = [str(w) for w in imported.warnings]
    assert f"{dpath}:20: issue `Money` is real, not discrete: skipped" in "\n".join(messages)
    assert any(
        m.startswith(f"{ppath}:1: weights of the imported issues sum to 0.9") for m in messages
    )
    assert f"{no_res}:1: no <reservation>: batna 0 assumed" in messages
    assert [i.id for i in imported.scenario.issues] == ["Line", "Monitors", "Sanctions"]


NEGMAS_SIDE = """
import itertools, json, sys
from negmas.inout import load_genius_domain
files = sys.argv[1:]
scenario = load_genius_domain(files[0], files[1:], ignore_discount=True)
out = {}
for outcome in scenario.outcome_space.enumerate_or_sample():
    out[json.dumps([str(v) for v in outcome])] = [float(u(outcome)) for u in scenario.ufuns]
print(json.dumps({"utilities": out, "reserved": [float(u.reserved_value) for u in scenario.ufuns]}))
"""


@pytest.mark.skipif(
    not NEGMAS.exists(), reason="NegMAS test environment benchmarks/.env-negmas absent"
)
def test_negmas_computes_the_same_utilities(tmp_path: Path) -> None:
    """NegMAS (AGPL; its own environment, never imported here) on files offramp wrote.

    NegMAS's reader uses evaluations as written (it does not divide by the
    issue maximum as Genius does), so the comparison is on files whose
    evaluations are in [0, 1], where the two formulas agree: what offramp
    exports, and the hand-made `moscow` profile.
    """
    scenario = read_genius(CEASEFIRE).scenario
    written = write_genius(scenario, tmp_path)
    actors, table = offramp_utilities(written)
    for files, columns in ((written, range(len(actors))), ([CEASEFIRE[0], CEASEFIRE[2]], [1])):
        done = subprocess.run(
            [str(NEGMAS), "-c", NEGMAS_SIDE, *map(str, files)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        theirs = json.loads(done.stdout)
        assert len(theirs["utilities"]) == len(table) == 12
        for key, values in theirs["utilities"].items():
            ours = table[tuple(json.loads(key))]
            assert [ours[c] for c in columns] == pytest.approx(values, abs=1e-12)
        assert theirs["reserved"] == pytest.approx(
            [[a.batna for a in scenario.actors][c] for c in columns]
        )
