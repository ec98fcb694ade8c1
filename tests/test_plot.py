"""pgweyl.plot: the data helpers against independent routes (the alcove's vertices and
walls, hand-counted walks and episodes, the brute-force exit law, env.value at the grid
points, ChainResult's own interpolation, the absorbing radius in closed form), and the
figures drawn from them (axes, labels, titles; a non-blank PNG and a PDF written)."""

import dataclasses
import itertools
import math
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import pgweyl as pw
from pgweyl import plot
from tests import naive
from tests.sim import naive_walk

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.image import imread  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def check_saved(fig, tmp_path, name):
    """save_figure writes a PNG that is not one flat colour and a PDF."""
    png, pdf = plot.save_figure(fig, tmp_path / "figs" / name)
    assert png == tmp_path / "figs" / f"{name}.png"
    assert pdf == tmp_path / "figs" / f"{name}.pdf"
    assert png.stat().st_size > 0 and pdf.stat().st_size > 0
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pixels = imread(png)
    assert pixels.ndim == 3 and float(pixels.std()) > 0
    return png, pdf


def texts(ax):
    return [t.get_text() for t in ax.texts]


# -- environments --------------------------------------------------------------------------
def corridor():
    return pw.make_env("corridor")


def rank2_envs():
    return {
        "triangle": pw.make_env("triangle"),
        "triangle-signed": pw.make_env("triangle-signed"),
        "C2": pw.AlcoveWalkEnv("C2", 6, wall_rewards=(1.0, 0.5, 0.2), gamma=0.95),
        "A2-table": pw.AlcoveWalkEnv(
            "A2", 5, start=(2, 1, 0), reward_table={(5, 1, 0): 1.0, (3, 3, 0): 0.5}
        ),
    }


@pytest.fixture(scope="module")
def chain_1d():
    return pw.chain_absorption(corridor(), 1.0, grid=201, refine=False)


@pytest.fixture(scope="module")
def chain_2d():
    return pw.chain_absorption(pw.make_env("triangle"), 1.0, grid=21, eps=0.01, refine=False)


@pytest.fixture(scope="module")
def sweep():
    return pw.study.difficulty_sweep("corridor", [4, 6], n_runs=500, n_updates=20000, grid=101)


def at_y(chain, y):
    """The chain's own answer at effective coordinates y (``at_effective`` where the
    result has it, else ``at`` without an env, which reads y)."""
    answer = getattr(chain, "at_effective", None)
    return answer(y) if answer is not None else chain.at(y)


# -- save_figure and the import contract -----------------------------------------------------
@pytest.mark.parametrize("given", ["x.png", "x.pdf", "x", "x.PNG"])
def test_save_figure_writes_png_and_pdf_from_any_spelling(tmp_path, given):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    png, pdf = plot.save_figure(fig, tmp_path / "new" / "deeper" / given)
    assert (png.name, pdf.name) == ("x.png", "x.pdf")
    assert png.parent == tmp_path / "new" / "deeper"
    assert png.exists() and pdf.exists()


def test_save_figure_keeps_other_dots_in_the_name(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    png, pdf = plot.save_figure(fig, str(tmp_path / "run.v2"))
    assert (png.name, pdf.name) == ("run.v2.png", "run.v2.pdf")


def test_import_does_not_load_matplotlib_and_agg_without_display():
    code = (
        "import sys, pgweyl, pgweyl.plot\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'\n"
        "env = pgweyl.make_env('corridor')\n"
        "pgweyl.plot.sample_walks(env, None, 2)\n"
        "pgweyl.plot.alcove_geometry(env)\n"
        "assert 'matplotlib' not in sys.modules, 'a data helper imported matplotlib'\n"
        "fig = pgweyl.plot.alcove_figure(env, n_walks=1)\n"
        "import matplotlib\n"
        "print(matplotlib.get_backend())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "agg"


# -- fonts in PDFs ---------------------------------------------------------------------------
def pdf_font_subtypes(data: bytes) -> set[str]:
    """The ``/Subtype`` of every font object of a PDF written by Matplotlib (its font
    dictionaries are plain, uncompressed objects: ``/Type /Font /Subtype /Type3``)."""
    import re

    found = set()
    for obj in re.findall(rb"<<(.*?)>>", data, re.S):
        if b"/Type /Font" in obj:
            m = re.search(rb"/Subtype /(\w+)", obj)
            if m:
                found.add(m.group(1).decode())
    return found


TRUETYPE_SUBTYPES = {"TrueType", "Type0", "CIDFontType2"}


def test_pdfs_embed_truetype_fonts_not_type3(tmp_path):
    """Every PDF written through save_figure embeds TrueType (Type 42) fonts: a pgweyl
    figure, a plain pyplot figure with text (as the examples draw), and one saved after
    the caller set pdf.fonttype = 3 (save_figure applies TrueType itself). The check has
    teeth: Matplotlib's default Type 3 is found in the same figure saved directly."""
    import matplotlib

    fig = plot.alcove_figure(corridor(), theta=[0.3, -0.3], n_walks=2, seed=1)
    _, pdf = check_saved(fig, tmp_path, "fonts_pgweyl")
    fonts = pdf_font_subtypes(pdf.read_bytes())
    # Type 42 as Matplotlib writes it: TrueType, or a Type0 font over a CIDFontType2
    assert fonts and fonts <= TRUETYPE_SUBTYPES
    assert b"/FontFile2" in pdf.read_bytes()  # the TrueType program is embedded
    assert matplotlib.rcParams["pdf.fonttype"] == 42  # set by pgweyl.plot for its users
    with matplotlib.rc_context({"pdf.fonttype": 3}):
        raw = tmp_path / "default.pdf"
        ascii_fig, ax = plt.subplots()
        ax.set_title("plain pyplot, saved directly")
        ascii_fig.savefig(raw)
        assert "Type3" in pdf_font_subtypes(raw.read_bytes())
        other, ax = plt.subplots()
        ax.set_title("θ − π, plain pyplot")
        ax.plot([0, 1], [1, 0])
        _, pdf = plot.save_figure(other, tmp_path / "fonts_plain")
    fonts = pdf_font_subtypes(pdf.read_bytes())
    assert fonts and fonts <= TRUETYPE_SUBTYPES


# -- alcove geometry -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cartan, level", [("A1", 8), ("A2", 6), ("A2", 7), ("B2", 6), ("B2", 8), ("C2", 6), ("C2", 8)]
)
def test_drawn_corners_are_the_vertices_of_the_closed_alcove(cartan, level):
    env = pw.AlcoveWalkEnv(cartan, level, wall_rewards=(1.0,) * (int(cartan[1]) + 1))
    rank = env.cartan.rank
    geo = plot.alcove_geometry(env)
    assert len(geo.corners) == rank + 1
    for c, walls in zip(geo.corners, geo.corner_walls):
        assert np.all(c == np.round(c))  # even levels: integer vertices
        point = c.astype(np.int64)
        assert env.alcove.is_closed(point), f"{point} is outside the closed alcove"
        assert not env.alcove.is_interior(point)
        # a vertex of a rank-r simplex lies on exactly r of its r + 1 walls
        assert walls == env.alcove.walls_at(point) and len(walls) == rank
    # every wall holds exactly r of the vertices (an edge in rank 2, a point in rank 1)
    for j in range(rank + 1):
        assert len(geo.wall_corners[j]) == rank
        assert all(
            j in env.alcove.walls_at(geo.corners[i].astype(np.int64)) for i in geo.wall_corners[j]
        )
    # and the figure draws exactly these corners
    if rank == 2:
        fig = plot.alcove_figure(env, n_walks=1)
        (poly,) = [p for p in fig.axes[0].patches if p.get_gid() == "alcove"]
        assert np.allclose(poly.get_xy()[: rank + 1], geo.project(geo.corners))


def test_half_integer_corners_of_odd_b2_lie_on_their_walls():
    env = pw.make_env("triangle-signed")  # B2 at level 7: (7/2, 7/2) is a vertex
    geo = plot.alcove_geometry(env)
    assert geo.corners.tolist() == [[0, 0], [3.5, 3.5], [7, 0]]
    assert geo.corner_walls == ((1, 2), (0, 1), (0, 2))  # x2 = 0, x1 = x2, x1 + x2 = 7 by hand


def test_a2_projection_is_an_isometry_of_the_plane():
    env = pw.make_env("triangle")
    geo = plot.alcove_geometry(env)
    P = geo.plane_corners
    d = [np.linalg.norm(P[i] - P[k]) for i, k in ((0, 1), (1, 2), (0, 2))]
    centred = geo.corners - geo.corners.mean(axis=1, keepdims=True)
    e = [np.linalg.norm(centred[i] - centred[k]) for i, k in ((0, 1), (1, 2), (0, 2))]
    assert np.allclose(d, e) and np.allclose(d, 6 * math.sqrt(2 / 3))  # equilateral, side m√(2/3)
    assert np.allclose(geo.project(geo.corners + 5.0), P)  # it forgets (1, 1, 1)


def test_a1_is_drawn_as_the_difference_of_coordinates():
    geo = plot.alcove_geometry(corridor())
    assert geo.project([[5, 3], [9, 9]]).tolist() == [2.0, 0.0]
    assert geo.axis_labels == ("time t", "x1 − x2")


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(lambda: pw.make_env("simplex"), id="A3"),
        pytest.param(lambda: pw.AlcoveWalkEnv("B3", 6, wall_rewards=(1, 0, 0, 0)), id="B3"),
    ],
)
def test_alcove_figure_refuses_higher_ranks(env):
    with pytest.raises(pw.ArgumentError, match="rank 1 and 2"):
        plot.alcove_figure(env())


# -- sample walks ----------------------------------------------------------------------------
def test_sampled_walks_are_paths_that_stop_at_the_first_exit():
    env = pw.make_env("triangle")
    walks = plot.sample_walks(env, [0.5, 0.0, -0.5], 12, seed=3)
    again = plot.sample_walks(env, [0.5, 0.0, -0.5], 12, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(walks.paths, again.paths))
    steps = {tuple(s) for s in env.steps.vectors.tolist()}
    for w in walks.paths:
        assert np.array_equal(w[0], env.start)
        assert {tuple(s) for s in np.diff(w, axis=0).tolist()} <= steps
        assert all(env.alcove.is_interior(x) for x in w[:-1])
        assert not env.alcove.is_interior(w[-1]) and env.alcove.walls_at(w[-1])
    assert walks.exited.all()


def test_walks_are_grouped_by_path_and_counted():
    env = pw.make_env("triangle")
    walks = plot.sample_walks(env, None, 40, seed=1)
    # distinct paths, counts adding up to the walks
    assert len({w.tobytes() for w in walks.paths}) == len(walks.paths)
    assert walks.counts.sum() == 40 and (walks.counts >= 1).all()
    # from (2, 1, 0) under the uniform policy e2 and e3 exit at once: a third each, so
    # 40 walks share one-step paths (P(fewer than two alike) is tiny)
    assert walks.counts.max() > 1 and len(walks.paths) < 40
    # exit counts by hand
    by_hand = {}
    for w, k in zip(walks.paths, walks.counts):
        by_hand[tuple(w[-1].tolist())] = by_hand.get(tuple(w[-1].tolist()), 0) + int(k)
    assert walks.exit_counts() == by_hand
    # an almost deterministic policy: every walk takes the same single step e2
    sure = plot.sample_walks(env, [0.0, 30.0, 0.0], 7, seed=0)
    assert sure.counts.tolist() == [7] and len(sure.paths[0]) == 2
    assert sure.exit_counts(with_time=True) == {((2, 2, 0), 1): 7}


def test_walk_rewards_are_those_of_the_exit_walls():
    env = pw.make_env("triangle-signed")
    walks = plot.sample_walks(env, None, 30, seed=5)
    for w, r in zip(walks.paths, walks.rewards):
        walls = naive.walls("B2", 7, w[-1].tolist())
        assert r == max(env.wall_rewards[j] for j in walls)


def test_sample_walks_refuses_bad_counts_and_seeds():
    for bad in (-1, 2.5, True):
        with pytest.raises(pw.ArgumentError, match="n_walks"):
            plot.sample_walks(corridor(), None, bad)
    with pytest.raises(pw.ArgumentError, match="seed"):
        plot.sample_walks(corridor(), None, 2, seed=-1)


# -- alcove_figure -------------------------------------------------------------------------
def test_alcove_figure_corridor(tmp_path):
    env = corridor()
    fig = plot.alcove_figure(env, theta=[0.3, -0.3], n_walks=4, seed=1)
    ax = fig.axes[0]
    assert "wall 0 (r = 1)" in texts(ax) and "wall 1 (r = 0.5)" in texts(ax)
    assert fig.axes[1].get_ylabel() == "wall reward $r_j$"  # the colour bar
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time t", "x1 − x2")
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)  # integer time axis
    assert "θ = (0.3, −0.3)" in ax.get_title() and "over (e1, e2)" in ax.get_title()
    check_saved(fig, tmp_path, "alcove_corridor")


@pytest.mark.parametrize("name", list(rank2_envs()))
def test_alcove_figure_rank2(tmp_path, name):
    env = rank2_envs()[name]
    fig = plot.alcove_figure(env, n_walks=3, seed=2)
    if env.reward_table is None:
        assert {f"wall {j} (r = {r:g})" for j, r in enumerate(env.wall_rewards)} <= set(
            texts(fig.axes[0])
        )
    else:
        assert {"wall 0", "wall 1", "wall 2"} <= set(texts(fig.axes[0]))
        assert fig.axes[1].get_ylabel() == "R(b) at the exit point"
    check_saved(fig, tmp_path, f"alcove_{name}")


def test_alcove_figure_counts_walks_that_share_an_exit(tmp_path):
    env = pw.make_env("triangle")
    walks = plot.sample_walks(env, None, 5, seed=0)
    fig = plot.alcove_figure(env, n_walks=5, seed=0)
    ax = fig.axes[0]
    shown = sorted(t for t in texts(ax) if t.startswith("×"))
    expected = sorted(f"×{k}" for k in walks.exit_counts().values() if k > 1)
    assert shown == expected and shown  # 5 walks, only 2 distinct paths with seed 0
    assert f"5 walks ({len(walks.paths)} distinct paths)" in ax.get_title()
    labels = ax.get_legend_handles_labels()[1]
    assert "exit point X_T (×k: k walks end there)" in labels
    check_saved(fig, tmp_path, "alcove_shared")


def test_alcove_figure_reward_table_on_a1(tmp_path):
    env = pw.AlcoveWalkEnv("A1", 6, start=(2, 0), reward_table={(6, 0): 1.0, (0, 0): 0.3})
    fig = plot.alcove_figure(env, n_walks=2)
    check_saved(fig, tmp_path, "alcove_a1_table")


def test_alcove_figure_refuses_a_negative_number_of_walks():
    with pytest.raises(pw.ArgumentError, match="n_walks"):
        plot.alcove_figure(corridor(), n_walks=-1)


# -- value distribution ----------------------------------------------------------------------
@pytest.mark.parametrize("name, theta", [("corridor", [0.2, -0.2]), ("triangle", [0.3, 0.0, -0.1])])
def test_value_distribution_data_against_the_brute_force_law_and_hand_counts(name, theta):
    env = pw.make_env(name)
    data = plot.value_distribution_data(env, theta, n_episodes=3000, seed=7)
    cartan = str(env.cartan)
    # exact: the law of (b, T) by dynamic programming over the lattice (tests.sim.naive_walk)
    probs = naive_walk.policy_probs("exp", env.steps.vectors.tolist(), theta)
    law, _ = naive_walk.exit_law(
        env.start.tolist(), env.steps.vectors.tolist(), probs,
        naive_walk.make_interior(cartan, env.level),
    )  # fmt: skip
    for k, j in enumerate(data.walls):
        by_time = np.zeros(len(data.times))
        for (b, n), p in law.items():
            if j in naive.walls(cartan, env.level, b) and n < len(data.times):
                by_time[n] += p
        assert np.allclose(data.exact[k], by_time, atol=1e-12)
        mass = sum(p for (b, n), p in law.items() if j in naive.walls(cartan, env.level, b))
        assert data.wall_mass[k] == pytest.approx(mass, abs=1e-10)
    # Monte Carlo: the same episodes counted by hand, returns from the walls by hand
    points, times = pw.simulate_episodes(env, theta, 3000, seed=7)
    for k, j in enumerate(data.walls):
        hits = [t for b, t in zip(points.tolist(), times.tolist())
                if j in naive.walls(cartan, env.level, b) and t < len(data.times)]  # fmt: skip
        assert np.allclose(data.mc[k] * 3000, np.bincount(hits, minlength=len(data.times)))
    G = [
        naive_walk.episode_return(
            max(env.wall_rewards[w] for w in naive.walls(cartan, env.level, b)), t, env.gamma, 0.0
        )
        for b, t in zip(points.tolist(), times.tolist())
    ]
    assert data.mc_mean == pytest.approx(np.mean(G), abs=1e-12)
    assert data.mc_se == pytest.approx(np.std(G, ddof=1) / math.sqrt(3000), rel=1e-9)
    assert data.value == pytest.approx(env.value(theta), abs=1e-12)
    # the panels: every wall the brute-force law exits on
    walls = {j for (b, _), p in law.items() if p > 0 for j in naive.walls(cartan, env.level, b)}
    assert set(data.walls) == walls


def test_value_distribution_figure_overlays_the_exact_law(tmp_path):
    env = corridor()
    theta = [0.2, -0.2]
    fig = plot.value_distribution_figure(env, theta, n_episodes=4000, seed=1)
    panels = list(fig.axes)
    assert len(panels) == 2  # walls 0 and 1 both have exit mass
    walls = env.value_distribution(theta).wall_probabilities(2)
    for j, a in enumerate(panels):
        (line,) = [ln for ln in a.lines if ln.get_marker() == "o"]
        # the curve is P(T = n, wall j) up to the 99.9% quantile of T
        assert abs(line.get_ydata().sum() - walls[j]) < 2e-3
        bars = sum(p.get_height() for p in a.patches)
        assert abs(bars - walls[j]) < 0.05  # Monte Carlo frequencies, 4000 episodes
        assert all(float(t).is_integer() for t in a.get_xticks())  # integer time axis
    head = fig._suptitle.get_text()
    assert "θ = (0.2, −0.2)" in head and "π = (0.599, 0.401) over (e1, e2)" in head
    assert "V(θ) = " in head and "4000 episodes, seed 1" in head
    check_saved(fig, tmp_path, "value_distribution")


def test_value_distribution_figure_on_one_axes_and_corners(tmp_path):
    env = pw.make_env("triangle-signed")
    fig, ax = plt.subplots()
    out = plot.value_distribution_figure(env, [0.5, 0.0], n_episodes=2000, ax=ax)
    assert out is fig
    assert "over (+e1, −e1, +e2, −e2)" in ax.get_title()
    check_saved(fig, tmp_path, "value_distribution_one_axes")
    with pytest.raises(pw.ArgumentError, match="one Axes per wall"):
        plot.value_distribution_figure(env, [0.5, 0.0], n_episodes=200, ax=[ax])


# -- where maxima lie --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["corridor", "triangle", "triangle-signed", "simplex"])
def test_face_direction_is_a_normal_of_every_face(name):
    env = pw.make_env(name)
    vecs = env.steps.vectors
    k = len(vecs)
    for size in range(1, k):
        for support in itertools.combinations(range(k), size):
            # by hand: every proper subset of the simplex's vertices spans a face; a set of
            # ±e_i spans a face of the cross-polytope unless it holds some +e_i and −e_i
            antipodal = any((vecs[i] == -vecs[j]).all() for i in support for j in support)
            u = plot.face_direction(env, support)
            if antipodal:
                assert u is None, f"{support} is no face but got a direction"
                continue
            d = vecs @ u
            on = np.zeros(k, dtype=bool)
            on[list(support)] = True
            assert np.ptp(d[on]) < 1e-9 and d[on][0] > d[~on].max() + 1e-9
            assert np.linalg.norm(u) == pytest.approx(1.0)


def test_face_direction_by_linear_program_for_other_steps():
    # (1, 0) is a vertex of conv{(±1, 0), (0, ±1), (3, 3)}, but the barycentric
    # guess (1, 0) − (0.6, 0.6) prefers (0, −1): the linear program finds a normal.
    env = SimpleNamespace(
        steps=SimpleNamespace(vectors=np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [3, 3]]))
    )
    u = plot.face_direction(env, (0,))
    d = env.steps.vectors @ u
    assert d[0] > np.delete(d, 0).max() + 1e-9
    assert plot.face_direction(env, (0, 2)) is None  # a diagonal, not a face
    assert plot.face_direction(env, range(5)) is None  # the whole set: nothing at infinity


# -- landscape ---------------------------------------------------------------------------------
def test_landscape_data_values_are_env_value_at_the_grid_points():
    env = pw.make_env("triangle")
    data = plot.landscape_data(env, [], span=5.0, resolution=9)
    axis = data.axes[0]
    assert np.allclose(axis, np.linspace(-5, 5, 9)) and data.values.shape == (9, 9)
    L = env.effective_map()
    rng = np.random.default_rng(0)
    for i1, i2 in rng.integers(0, 9, size=(12, 2)):
        theta = np.array([axis[i1], axis[i2], 0.0])  # θ(y) = (y, 0): y_i = θ_i − θ3
        assert data.values[i1, i2] == pytest.approx(env.value(theta), abs=1e-12)
        assert np.allclose(data.grads[i1, i2], L @ env.value_grad(theta), atol=1e-12)
        g = env.value_grad(theta)
        assert np.allclose(data.grads[i1, i2], [g[0] - g[2], g[1] - g[2]], atol=1e-12)


def test_landscape_marks_of_maxima_at_infinity_point_to_their_faces():
    env = pw.make_env("triangle")
    maxima = pw.local_maxima(env)
    data = plot.landscape_data(env, maxima, span=6.0, resolution=3)
    assert [m.label for m in data.marks] == ["{e1}", "{e2}"]
    for m, mark in zip(maxima, data.marks):
        assert mark.at_infinity
        assert np.max(np.abs(mark.edge)) == pytest.approx(6.0)  # on the window's edge
        # walking on along the direction, the policy reaches the maximum
        far = env.lift(mark.edge + 40.0 * mark.direction)
        assert float(m.distances(env.policy(far))) < 1e-12
    # by hand: e1 is reached as y1 = θ1 − θ3 → ∞, e2 as y2 → ∞
    assert np.allclose(data.marks[0].direction, [1, 0]) and np.allclose(
        data.marks[1].direction, [0, 1]
    )
    assert np.allclose(data.marks[0].edge, [6, 0]) and np.allclose(data.marks[1].edge, [0, 6])
    one = plot.landscape_data(corridor(), span=4.0, resolution=5)
    assert [(m.label, m.direction.tolist(), m.edge.tolist()) for m in one.marks] == [
        ("{e1}", [1.0], [4.0]),
        ("{e2}", [-1.0], [-4.0]),
    ]


def test_landscape_marks_of_an_edge_maximum_and_a_finite_one():
    # Only (3, 3, 0) pays: the maximum is inside the edge {e1, e2} at π = (1/3, 2/3, 0)
    # (tests/landscape/test_maxima.py), reached as y1, y2 → ∞ with y2 − y1 = log 2.
    env = pw.AlcoveWalkEnv("A2", 6, "unit", (2, 1, 0), reward_table={(3, 3, 0): 1.0}, gamma=0.95)
    (edge,) = [m for m in pw.local_maxima(env) if len(m.support) == 2]
    mark = plot.data.maximum_mark(env, edge, 0, 6.0)
    assert mark.at_infinity and np.allclose(mark.direction, [1 / math.sqrt(2)] * 2)
    assert mark.y[1] - mark.y[0] == pytest.approx(math.log(2))
    far = env.lift(mark.edge + 40.0 * mark.direction)
    assert float(edge.distances(env.policy(far))) < 1e-9
    # a finite maximum (θ given) is drawn at y = Lθ, or pointed at from the window
    theta = np.array([1.0, -0.5, 0.0])
    finite = dataclasses.replace(edge, support=(0, 1, 2), policy=env.policy(theta), theta=theta)
    inside = plot.data.maximum_mark(env, finite, 0, 6.0)
    assert not inside.at_infinity and inside.edge is None and np.allclose(inside.y, [1.0, -0.5])
    outside = plot.data.maximum_mark(env, finite, 0, 0.5)
    assert np.allclose(outside.edge, [0.5, -0.25]) and not outside.at_infinity


def test_landscape_figure_1d(tmp_path):
    env = corridor()
    fig = plot.landscape_figure(env, span=5.0, resolution=31)
    ax = fig.axes[0]
    dashed = sorted(ln.get_ydata()[0] for ln in ax.lines if ln.get_linestyle() == "--")
    maxima = pw.local_maxima(env)
    assert np.allclose(dashed, sorted(m.value for m in maxima))
    notes = texts(ax)
    assert any("at y → +∞ (face {e1})" in t for t in notes)
    assert any("at y → −∞ (face {e2})" in t for t in notes)
    (curve,) = [ln for ln in ax.lines if ln.get_label() == "V(θ(y))"]
    y = curve.get_xdata()
    assert curve.get_ydata()[7] == pytest.approx(env.value([y[7], 0.0]), abs=1e-12)
    check_saved(fig, tmp_path, "landscape_corridor")


def test_landscape_figure_2d_points_to_the_maxima(tmp_path):
    env = pw.make_env("triangle")
    maxima = pw.local_maxima(env)
    fig = plot.landscape_figure(env, maxima=maxima, resolution=13)
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if t.get_gid() == "maximum"]
    assert len(arrows) == len(maxima)
    for m, a in zip(maxima, arrows):
        assert "at infinity (face" in a.get_text()
        head = np.array(a.xy)  # the arrow ends on the window's edge ...
        assert np.max(np.abs(head)) == pytest.approx(6.0)
        far = env.lift(head + 40 * (head - np.array(a.xyann)) / np.linalg.norm(head - a.xyann))
        assert float(m.distances(env.policy(far))) < 1e-9  # ... and points to the maximum
    assert not [ln for ln in ax.lines if ln.get_marker() == "*"]  # no stars on corners
    assert len(ax.collections) > 0  # the heat map and the streamlines
    assert "2 at infinity" in ax.get_title()
    check_saved(fig, tmp_path, "landscape_triangle")


def test_landscape_figure_refuses_dimension_three_and_softmax():
    with pytest.raises(pw.ArgumentError, match="effective dimension"):
        plot.landscape_figure(pw.make_env("simplex"), maxima=[], resolution=3)
    with pytest.raises(pw.ArgumentError, match="policy 'exp'"):
        plot.landscape_figure(pw.make_env("corridor", policy="softmax"), maxima=[])
    with pytest.raises(pw.ArgumentError, match="resolution"):
        plot.landscape_data(corridor(), [], resolution=1)


# -- difficulty_figure ---------------------------------------------------------------------
def test_difficulty_figure(tmp_path, sweep):
    fig = plot.difficulty_figure(sweep)
    ax, ax2 = fig.axes
    assert ax.get_xlabel() == "level"
    assert "global maximum" in ax2.get_ylabel()
    assert np.allclose(ax2.lines[0].get_ydata(), sweep.global_value)
    assert ax.get_xticks().tolist() == [4.0, 6.0]
    # first entry and the ε → 0 limit, each named, the limit's markers at p_limit
    labels = ax.get_legend_handles_labels()[1]
    assert "chain solver, first entry into the ε-ball (± grid error)" in labels
    assert "chain solver, limit n → ∞ (ε → 0)" in labels
    assert np.isfinite(sweep.p_limit).all()
    marks = [c for c in ax.containers if c.get_label() == "chain solver, limit n → ∞ (ε → 0)"]
    assert np.allclose(marks[0].lines[0].get_ydata(), sweep.p_limit)
    check_saved(fig, tmp_path, "difficulty")


def test_difficulty_figure_without_chain_values(tmp_path, sweep):
    nan = np.full(len(sweep.values), np.nan)
    mc_only = dataclasses.replace(sweep, p_chain=nan, grid_error=nan, p_limit=nan, limit_error=nan)
    fig = plot.difficulty_figure(mc_only)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "Monte Carlo" in labels and not any("chain" in s for s in labels)
    check_saved(fig, tmp_path, "difficulty_mc_only")


# -- basins --------------------------------------------------------------------------------
def test_basin_data_2d_is_the_chains_own_interpolation(chain_2d):
    env = pw.make_env("triangle")
    data = plot.basin_data(chain_2d, 1, env=env)
    a1, a2 = data.axes
    assert len(a1) >= 400 and a1[0] == chain_2d.axes[0][0] and a1[-1] == chain_2d.axes[0][-1]
    assert data.h.shape == (len(chain_2d.maxima), len(a1), len(a2))
    rng = np.random.default_rng(1)
    for i1, i2 in rng.integers(0, len(a1), size=(40, 2)):
        assert np.allclose(
            data.h[:, i1, i2], at_y(chain_2d, np.array([a1[i1], a2[i2]])), atol=1e-12
        )
    # at the nodes: the solved values themselves
    step = (len(a1) - 1) // (len(chain_2d.axes[0]) - 1)
    assert np.allclose(data.h[:, ::step, ::step], chain_2d.h, atol=1e-12)
    assert (data.index, data.lr, data.eps) == (1, 1.0, 0.01)


def test_basin_data_1d_and_the_absorbing_radius_in_closed_form(chain_1d):
    env = corridor()
    data = plot.basin_data(chain_1d, env=env, upsample=3)
    y = data.axes[0]
    assert np.allclose(data.h[:, ::3], chain_1d.h, atol=1e-12)
    for i in (1, 2, 100, 301, 599):
        assert np.allclose(data.h[:, i], at_y(chain_1d, np.array([y[i]])), atol=1e-12)
    # π(e1) = σ(y): within ε of the vertex e1 iff y ≥ log((1 − ε)/ε), of e2 iff y ≤ −that
    cut = math.log((1 - chain_1d.eps) / chain_1d.eps)
    clear = np.abs(np.abs(y) - cut) > 1e-9
    expected = np.where(y >= cut, 0, np.where(y <= -cut, 1, -1))
    assert np.array_equal(data.absorbing[clear], expected[clear])
    assert plot.basin_data(chain_1d).absorbing is None


def test_basin_figure_1d(tmp_path, chain_1d):
    fig = plot.basin_figure(chain_1d, env=corridor())
    ax = fig.axes[0]
    lines = ax.lines
    assert len(lines) == len(chain_1d.maxima)
    total = sum(ln.get_ydata() for ln in lines)
    assert np.allclose(total, 1.0, atol=1e-6)  # every run ends at one of the two maxima
    assert "absorbing radius (total variation) around each maximum" in ax.get_title()
    assert "ε = 0.00034" in ax.get_title()
    assert any(s.startswith("absorbing: π within ε") for s in ax.get_legend_handles_labels()[1])
    check_saved(fig, tmp_path, "basin_1d")


def test_basin_figure_2d(tmp_path, chain_2d):
    env = pw.make_env("triangle")
    fig = plot.basin_figure(chain_2d, env=env, index=0)
    ax = fig.axes[0]
    assert fig.axes[1].get_ylabel() == "P(ends at maximum {e1})"
    assert "ε = 0.01: absorbing radius (total variation)" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "absorbing: π within ε of a maximum"
    ]
    check_saved(fig, tmp_path, "basin_2d")
    fig = plot.basin_figure(chain_2d, index=1)  # without env: supports by index
    assert fig.axes[1].get_ylabel() == "P(ends at maximum {s1})"
    for bad in (2, -1, 0.5):
        with pytest.raises(pw.ArgumentError, match="index"):
            plot.basin_figure(chain_2d, index=bad)
