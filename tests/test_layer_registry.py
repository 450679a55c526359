"""The layer registry is the one list of layers: a layer registered there runs in ``solve`` in the
registry's order, is a layer section of the settings, a ``--disable``/``--intensity`` choice of
the CLI and a writer in the channel table — with no other file edited (``docs/architecture.md``
shows the same toy layer)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import ROOT, assert_same_curve

from microface_addon.cli import dispatch
from microface_addon.core import load_preset, solve
from microface_addon.core.preset.controls import ControlError, parse_layer_list
from microface_addon.core.preset.settings import PresetError, layer_sections
from microface_addon.core.solver import registry
from microface_addon.core.solver.registry import Layer

pytestmark = pytest.mark.pure

TOY_ACTIVATION = 0.05
SECONDS = 3.0


def toy_apply(ctx) -> None:
    """Holds the chin raiser at a small constant activation (× the layer's gain); records which
    channels existed when it ran, to show where it sits in the solve order."""
    ctx.events["toy_saw"] = sorted(ctx.channels)
    ctx.add("mentalis", np.full_like(ctx.t, TOY_ACTIVATION * ctx.settings.layer_gain("toy")))


TOY = Layer(name="toy", label="Toy", writes=("mentalis",), apply=toy_apply)


@pytest.fixture
def registered(monkeypatch):
    """Register layers for one test; the registry is restored afterwards."""
    monkeypatch.setattr(registry, "LAYERS", registry.LAYERS)

    def add(layer: Layer = TOY, before: str | None = None) -> Layer:
        registry.register(layer, before=before)
        return layer

    return add


def test_the_shipped_layers_in_solve_order():
    assert registry.names() == (
        "dialogue",
        "breath",
        "cascade",
        "micro_events",
        "gaze",
        "head",
        "lids",
        "blink",
    )
    assert layer_sections() == registry.names()
    s = load_preset()
    for layer in registry.layers():
        assert s.layer_enabled(layer.name) and layer.label
        # Every layer moves channels, except dialogue, which directs the others (it writes cues,
        # states and plans they read: core/solver/layers/dialogue.py).
        assert bool(layer.writes) != (layer.name == "dialogue"), layer.name


def test_a_registered_toy_layer_runs_in_solve_and_leaves_the_others_alone(registered):
    before = solve(load_preset(), SECONDS, seed=2, character_id="toy")
    registered()
    settings = load_preset()
    assert "toy" in layer_sections() and settings.layer_enabled("toy")
    after = solve(settings, SECONDS, seed=2, character_id="toy")
    chin = after.channels["mentalis"] - before.channels.get("mentalis", 0.0)
    np.testing.assert_allclose(chin, TOY_ACTIVATION, rtol=0, atol=1e-12)
    for name, values in before.channels.items():
        if name != "mentalis":
            assert_same_curve(name, values, after.channels[name])
    # It ran last, after every shipped layer had written its channels.
    assert "orbicularis_oculi_palpebral_L" in after.events["toy_saw"]


def test_the_registry_order_is_the_solve_order(registered):
    registered(before="breath")
    perf = solve(load_preset(), SECONDS, seed=2)
    assert perf.events["toy_saw"] == []  # first: nothing written yet


def test_the_toy_layer_is_switched_and_scaled_like_any_layer(registered):
    registered()
    off = load_preset().with_overrides({"toy": {"enabled": False}})
    assert not off.layer_enabled("toy")
    assert "toy_saw" not in solve(off, SECONDS, seed=2).events
    half = load_preset().with_overrides({"toy": {"intensity": 0.5}})
    assert half.layer_gain("toy") == 0.5
    with pytest.raises(PresetError, match="/toy/intensity"):
        load_preset().with_overrides({"toy": {"intensity": 5}})
    with pytest.raises(PresetError, match="/toy/depth"):
        load_preset().with_overrides({"toy": {"depth": 1}})  # only enabled and intensity


def test_the_toy_layer_is_a_cli_choice(registered, capsys):
    with pytest.raises(ControlError, match="unknown layer 'toy'"):
        parse_layer_list("toy")
    registered()
    assert dispatch.main(["bake", "--help"]) == 0
    assert (
        "turn layers off: dialogue, breath, cascade, micro_events, gaze, head, lids, blink, toy"
        in " ".join(capsys.readouterr().out.split())
    )
    args = dispatch.build_parser().parse_args(
        ["validate", "--disable", "head,toy", "--intensity", "toy=0.5"]
    )
    assert args.disable == [["head", "toy"]]
    assert args.intensity == ["toy=0.5"]


def test_the_toy_layer_is_a_writer_in_the_channel_table(registered):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_channels_doc
    finally:
        sys.path.remove(str(ROOT / "tools"))
    row = next(r for r in gen_channels_doc.table().splitlines() if r.startswith("| `mentalis`"))
    assert "`toy`" not in row
    registered()
    row = next(r for r in gen_channels_doc.table().splitlines() if r.startswith("| `mentalis`"))
    assert "`toy`" in row


def test_a_layer_may_only_write_what_it_declares(registered):
    def sneaky(ctx):
        ctx.add("jaw_drop", np.ones_like(ctx.t))

    registered(Layer(name="sneaky", label="Sneaky", writes=("mentalis",), apply=sneaky))
    with pytest.raises(KeyError, match="'jaw_drop' it does not declare"):
        solve(load_preset(), 1.0)


def test_registration_checks_the_contract(registered):
    with pytest.raises(ValueError, match="not already taken"):
        registered(Layer(name="blink", label="Again", writes=(), apply=toy_apply))
    with pytest.raises(ValueError, match="unknown channels nose"):
        registered(Layer(name="nosy", label="Nosy", writes=("nose",), apply=toy_apply))
