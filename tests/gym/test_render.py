"""Rendering: rgb_array pictures of the walk (pgweyl/gym/render.py), human and ansi text,
and unsupported modes warned about as Gymnasium does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

import pgweyl as pw  # noqa: E402
import pgweyl.gym  # noqa: E402, F401
from pgweyl.gym.render import MARKER, TRAIL, WalkPicture, wall_rgb  # noqa: E402

IDS = {
    "pgweyl/Corridor-v0": (64, 512),
    "pgweyl/Triangle-v0": (256, 256),
    "pgweyl/TriangleSigned-v0": (256, 256),
    "pgweyl/Simplex-v0": (256, 256),  # rank 3: a projection
}


def _walk(env, actions):
    env.reset(seed=0)
    out = None
    for a in actions:
        out = env.step(a)
        if out[2]:
            break
    return out


def _random_episode(env, seed):
    """Frames after every step of one episode under uniform random actions."""
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    frames = [env.render()]
    while True:
        _, _, term, _, info = env.step(int(rng.integers(env.action_space.n)))
        frames.append(env.render())
        if term:
            return frames, info


@pytest.mark.parametrize("env_id", sorted(IDS))
def test_rgb_array_frames_and_check_env(env_id):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, render_mode="rgb_array")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    frames, info = _random_episode(env, seed=3)
    h, w = IDS[env_id]
    for f in frames:
        assert f.shape == (h, w, 3) and f.dtype == np.uint8
    # the walk changes the picture, and the last frame's marker has the exit wall's colour
    assert not np.array_equal(frames[0], frames[-1])
    assert np.all(np.any(frames[-1] == wall_rgb(info["wall"][0]), axis=-1).sum() > 0)


@pytest.mark.parametrize("env_id", sorted(IDS))
def test_incremental_frames_equal_a_fresh_drawing(env_id):
    """Frames are drawn incrementally (only the new steps); the last frame must equal, bit
    for bit, the whole path drawn at once by a new picture — and a reset starts over."""
    env = gym.make(env_id, render_mode="rgb_array")
    frames, info = _random_episode(env, seed=11)
    base = env.unwrapped
    fresh = WalkPicture(base.pgweyl_env.alcove).frame(list(base._path), info["wall"])
    assert np.array_equal(frames[-1], fresh)
    env.reset(seed=1)
    again = gym.make(env_id, render_mode="rgb_array")
    again.reset(seed=1)
    assert np.array_equal(env.render(), again.render())
    assert not np.array_equal(env.render(), frames[-1])


def test_an_episode_rendered_late_is_drawn_whole():
    """Render mid-episode, finish it unrendered, reset and walk further than before, then
    render: the frame is the new walk alone (as a fresh picture draws it), not the old
    trail with the new one's first steps missing."""
    env = gym.make("pgweyl/Triangle-v0", level=12, render_mode="rgb_array")
    env.reset(seed=0)  # start (2, 1, 0)
    env.step(0)
    env.step(0)
    env.render()  # drawn: (2, 1, 0) → (3, 1, 0) → (4, 1, 0)
    while not env.step(0)[2]:
        pass
    env.reset(seed=0)
    for a in (0, 1, 0, 0, 0, 0):  # (3, 1, 0) → (3, 2, 0) → … (7, 2, 0): longer, elsewhere
        env.step(a)
    base = env.unwrapped
    fresh = WalkPicture(base.pgweyl_env.alcove).frame(list(base._path))
    assert np.array_equal(env.render(), fresh)


def test_triangle_picture_geometry():
    """The picture is a similarity of the alcove: the pixel vectors of the steps have the
    lengths (up to one scale) and the pairwise cosines of the steps in the alcove's plane
    — on A2 e_i projected on Σx = 0 (v − mean(v): equal lengths at 120°), on B2 the steps
    ±e_i themselves (equal lengths at 90° and 180°). Only the pixel mapping is the picture's."""
    for name, cosines in (("triangle", {-0.5}), ("triangle-signed", {0.0, -1.0})):
        penv = pw.make_env(name)
        pic = WalkPicture(penv.alcove)
        pic.frame([tuple(penv.start)])
        start = np.asarray(penv.start)
        vecs = penv.steps.vectors.astype(float)
        if penv.alcove.is_prism:
            vecs = vecs - vecs.mean(axis=1, keepdims=True)
        px = pic._pixels(start + vecs) - pic._pixels(start[None, :])
        geo = vecs @ vecs.T
        pix = px @ px.T
        scale = pix[0, 0] / geo[0, 0]
        assert scale > 25  # steps at least 5 pixels long
        assert np.allclose(pix, scale * geo, rtol=1e-9, atol=1e-9 * scale)
        off = geo[~np.eye(len(geo), dtype=bool)] / geo[0, 0]
        assert set(np.round(off, 12)) == cosines


def test_triangle_far_wall_is_the_top_edge_and_trail_is_drawn():
    env = gym.make("pgweyl/Triangle-v0", render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    top = [r for r in range(first.shape[0]) if np.any(np.all(first[r] != 255, axis=-1))][0]
    row = first[top + 1]
    red = np.all(row == wall_rgb(0), axis=-1)
    assert red.sum() > 100  # the far wall 0 spans the top of the picture
    env.step(0)
    env.step(0)
    frame = env.render()
    assert np.all(frame == TRAIL, axis=-1).sum() > np.all(first == TRAIL, axis=-1).sum()
    assert np.all(frame == MARKER, axis=-1).any()


def test_corridor_strip_marks_the_cell_of_the_walker():
    """Corridor level 8: 9 cells (x1 − x2 = 0 … 8) between the margins; the marker sits in
    the cell of x1 − x2 (computed here from the cell edges, not by the picture's code)."""
    env = gym.make("pgweyl/Corridor-v0", render_mode="rgb_array")
    env.reset(seed=0)
    for n_up in range(3):
        frame = env.render()
        edges = np.rint(np.linspace(14, 512 - 14, 10)).astype(int)
        u = 2 + n_up
        middle = frame[32]
        black = np.flatnonzero(np.all(middle == MARKER, axis=-1))
        assert black.size and edges[u] <= black.min() and black.max() < edges[u + 1]
        env.step(0)
    # the end cells are the walls, in their colours: wall 1 at x1 = x2, wall 0 at the far end
    assert np.all(frame[20, edges[0] + 2] == wall_rgb(1))
    assert np.all(frame[20, edges[8] + 2] == wall_rgb(0))


def test_human_and_ansi(capsys):
    env = gym.make("pgweyl/Corridor-v0", render_mode="human")
    env.reset(seed=0)
    env.step(1)
    env.step(1)
    assert env.render() is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["t=0 x=[2, 0]", "t=1 x=[2, 1]", "t=2 x=[2, 2] on wall(s) (1,)"]
    ansi = gym.make("pgweyl/Corridor-v0", render_mode="ansi")
    assert ansi.unwrapped.render() is None  # before reset
    ansi.reset(seed=0)
    assert ansi.render() == "t=0 x=[2, 0]"
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make("pgweyl/Triangle-v0", render_mode="human").unwrapped)
    capsys.readouterr()


def test_unsupported_render_mode_warns_and_does_not_raise():
    with pytest.warns(UserWarning, match="render_mode 'pixels' is not supported"):
        env = pgweyl.gym.AlcoveWalkGymEnv(family="corridor", render_mode="pixels")
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render\\(\\) called with render_mode 'pixels'"):
        assert env.render() is None
    quiet = gym.make("pgweyl/Corridor-v0")
    quiet.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode None"):
        assert quiet.render() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the supported modes make no warning
        for mode in ("rgb_array", "ansi", "human"):
            gym.make("pgweyl/Corridor-v0", render_mode=mode)


def test_rank_three_and_more_render_a_projection():
    env = gym.make(
        "pgweyl/AlcoveWalk-v0",
        cartan="A4",
        level=7,
        wall_rewards=(1, 0, 0, 0, 0.5),
        render_mode="rgb_array",
    )
    frames, info = _random_episode(env, seed=2)
    assert frames[-1].shape == (256, 256, 3)
    assert np.any(np.all(frames[-1] == wall_rgb(info["wall"][0]), axis=-1))
