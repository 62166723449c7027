"""Every jitted entry point keeps a bounded number of programs, whatever the pages are asked for;
after warm-up the explorer compiles nothing; one page's traffic never evicts another page's programs."""

import gc
import weakref

from jax import monitoring
from page_runs import run_page

from lossviz import engine, nondifferentiable, training
from lossviz.datasets import DATASETS
from lossviz.programs import REGISTRY
from lossviz.ui import settings

COMPILES: list[str] = []
monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: (
        COMPILES.append(event) if event == "/jax/core/compile/backend_compile_duration" else None
    )
)
# both width buckets (16, 64), each twice, with another data set (every set is in one frame)
TRAINING_VIEWS = (
    {"width": "3"},
    {"width": "20"},
    {"data": DATASETS["digits"].title},
    {"data": DATASETS["iris"].title, "width": "40"},
)


def test_every_jitted_entry_point_of_the_app_is_bounded():
    # the app's programs all live in a Programs: a plain jax.jit would grow without bound
    assert {"lanes", "surfaces", "zero_one_on_paths", "training", "training_init"} <= set(REGISTRY)
    assert all(p.maxsize >= 1 for p in REGISTRY.values())


EXPLORER_VIEWS = (
    {"problem": "Rosenbrock", "opt": "Adam", "steps": "30"},
    {"problem": "Himmelblau", "opt": "Line search", "g": "log(1 + L)", "steps": "1000"},
    {"problem": "Beale", "opt": "Polyak", "a": "-1", "steps": "10"},
    {"problem": "Saddle", "opt": "Lion", "c": "-6.2832"},
    {"problem": "0-1 error, sigmoid surrogate", "opt": "Nesterov", "T": "0.05", "steps": "470"},
    {"problem": "Rastrigin", "opt": "RMSProp", "g": "L²", "lr": "0.001"},
)


def test_after_warm_up_the_explorer_and_the_nondifferentiable_page_compile_nothing():
    run_page("training", width="4", epochs="10")
    kept = [weakref.ref(j) for j in training._train_chunk.programs.values()]
    assert kept
    engine.warm_up()
    nondifferentiable.warm_up()
    before = len(COMPILES)
    for query in EXPLORER_VIEWS:  # other problems, optimizers, maps, lengths: all data
        at = run_page("explorer", **query)
        assert not at.exception
    for query in (
        {"steps": "50"},
        {"steps": "999", "T": "0.01"},
        {"z": "1, 2, 3, 4"},
        {"surrogate": "hinge loss"},
    ):
        at = run_page("nondifferentiable", **query)
        assert not at.exception
    assert len(COMPILES) == before
    assert engine._LANES.live() == 1 and engine._SURFACES.live() == 1
    gc.collect()
    assert all(ref() is not None for ref in kept)  # the training page's programs are untouched


def test_training_stays_within_its_bound_and_spares_the_explorer(monkeypatch):
    bound = 1
    run_page("explorer", steps="40")
    kept = [weakref.ref(j) for j in engine._LANES.programs.values()]
    assert kept
    monkeypatch.setattr(training._train_chunk, "maxsize", bound)
    monkeypatch.setattr(training._init_state, "maxsize", bound)
    for query in TRAINING_VIEWS:  # widths and data sets change the shapes: new programs
        at = run_page("training", epochs="10", **query)
        assert not at.exception
        assert training._train_chunk.live() <= bound and training._init_state.live() <= bound
    gc.collect()
    assert all(ref() is not None for ref in kept)


def test_after_warm_up_the_training_page_compiles_nothing():
    """Every value each training control offers (one control at a time) runs on the warm programs."""
    training.warm_up()
    live = training._train_chunk.live(), training._init_state.live()
    # 2 data set frames x 2 width buckets (decision grids are NumPy: no program)
    assert live == (training.PROGRAMS_PER_ACTIVATION, training.PROGRAMS_PER_ACTIVATION)
    before = len(COMPILES)
    queries = [{"data": spec.title} for spec in DATASETS.values()]
    queries += [{"width": str(w)} for w in (settings.WIDTH_RANGE[0], 16, 17, settings.WIDTH_RANGE[1])]
    queries += [{"batch": label} for label in settings.BATCH_LABELS]
    queries += [{"opt": label} for label in settings.OPTIMIZER_LABELS]
    queries += [{"data": DATASETS["digits"].title, "width": "64", "batch": "full", "opt": "Line search"}]
    queries += [{"lr": "0.0001"}, {"c": "-100"}, {"seed": "9999"}, {"noise": "1"}]
    for query in queries:
        at = run_page("training", **{"epochs": "10", **query})
        assert not at.exception, query
    at = run_page("training", epochs=str(settings.EPOCHS_RANGE[1]))
    assert not at.exception
    assert len(COMPILES) == before
    assert (training._train_chunk.live(), training._init_state.live()) == live
