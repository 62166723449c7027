"""Two-parameter toy problems: a loss ``L(theta)`` with ``theta`` of shape ``(2,)``.

Every problem is a :class:`Problem` in the :data:`PROBLEMS` registry, keyed by
its name. Losses are pure ``jax.numpy`` functions of a single ``(2,)`` array,
so ``jax.grad`` gives their exact gradients and ``jax.vmap`` evaluates them on
a grid.

>>> import jax.numpy as jnp
>>> from lossviz.problems import PROBLEMS
>>> float(PROBLEMS["rosenbrock"].loss(jnp.array([1.0, 1.0])))
0.0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lossviz import surrogates

Bounds = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A 2-parameter loss with what the explorer needs to draw it.

    Attributes:
      name: registry key (also used in URLs).
      title: human-readable name (also what a shared link carries).
      loss: ``theta (2,) -> scalar``, pure JAX.
      bounds: ``((w1_min, w1_max), (w2_min, w2_max))`` of the plotted window.
      start: default start point of the optimizers.
      minima: known global minimisers (may be empty: unbounded problems).
      param_names: display names of ``theta[0]`` and ``theta[1]``.
      lower_bound: a known lower bound of ``L`` (``None``: unbounded below).
        Monotone maps such as ``log(1+L)`` are offered only when it is >= 0.
      description: one sentence for the page.
      lr: a learning rate at which plain SGD makes steady progress here (the
        page switches to it when the problem changes).
      tempered: ``(theta, temperature) -> scalar`` for problems with a
        temperature (smooth surrogates); ``loss`` is then this at ``temperature``.
      temperature: the default temperature (``None``: the problem has none).
    """

    name: str
    title: str
    loss: Callable[[jax.Array], jax.Array]
    bounds: Bounds
    start: Point
    minima: tuple[Point, ...]
    param_names: tuple[str, str] = ("w1", "w2")
    lower_bound: float | None = 0.0
    description: str = ""
    lr: float = 0.05
    tempered: Callable[[jax.Array, jax.Array], jax.Array] | None = None
    temperature: float | None = None

    def temperature_or(self, temperature: float | None) -> float:
        """``temperature``, or the problem's own when ``None`` (1 for problems without one, which ignore it)."""
        return (self.temperature or 1.0) if temperature is None else temperature

    def at_temperature(self, temperature: float | jax.Array | None) -> Callable[[jax.Array], jax.Array]:
        """The loss at another temperature (``loss`` itself if the problem has none)."""
        if self.tempered is None or temperature is None:
            return self.loss
        tempered = self.tempered
        return lambda theta: tempered(theta, temperature)

    # eq=False: a Problem compares and hashes by identity; its arrays and functions
    # have no meaningful equality.


# --- seeded data sets for the two regressions --------------------------------


def _linear_data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=n)
    y = 1.5 * x - 0.5 + rng.normal(0.0, 0.4, size=n)
    return x.astype(np.float32), y.astype(np.float32)


def _logistic_data(n: int = 120, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian blobs (labels +1/-1): a finite minimiser exists."""
    rng = np.random.default_rng(seed)
    labels = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    centres = np.outer(labels, [0.9, 0.4])
    x = centres + rng.normal(0.0, 1.0, size=(n, 2))
    return x.astype(np.float32), labels.astype(np.float32)


LINEAR_X, LINEAR_Y = _linear_data()
LOGISTIC_X, LOGISTIC_Y = _logistic_data()


def _linear_minimum() -> Point:
    """Least squares in closed form (float64): the exact minimiser of the MSE."""
    design = np.stack([LINEAR_X, np.ones_like(LINEAR_X)], axis=1).astype(np.float64)
    (w, b), *_ = np.linalg.lstsq(design, LINEAR_Y.astype(np.float64), rcond=None)
    return (float(w), float(b))


def _logistic_minimum(x: np.ndarray = LOGISTIC_X, y: np.ndarray = LOGISTIC_Y) -> Point:
    """Newton's method in float64 on the (strictly convex) logistic loss."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    w = np.zeros(2)
    for _ in range(50):
        margin = y * (x @ w)
        p = 1.0 / (1.0 + np.exp(margin))  # sigmoid(-margin)
        grad = -(x * (y * p)[:, None]).mean(axis=0)
        hess = (x.T * (p * (1.0 - p))) @ x / len(y)
        w = w - np.linalg.solve(hess, grad)
    return (float(w[0]), float(w[1]))


# --- the losses ---------------------------------------------------------------


def linear_regression_loss(theta: jax.Array) -> jax.Array:
    """Mean squared error of ``y ~ w x + b`` on a seeded data set."""
    w, b = theta[0], theta[1]
    residual = w * LINEAR_X + b - LINEAR_Y
    return jnp.mean(residual**2)


def logistic_regression_loss(theta: jax.Array) -> jax.Array:
    """Mean cross-entropy ``log(1 + exp(-y w.x))`` of a bias-free classifier."""
    margin = LOGISTIC_Y * (LOGISTIC_X @ theta)
    return jnp.mean(jax.nn.softplus(-margin))


QUADRATIC_CONDITION = 25.0


def quadratic_loss(theta: jax.Array) -> jax.Array:
    """``(w1**2 + kappa * w2**2) / 2``: condition number kappa = 25."""
    return 0.5 * (theta[0] ** 2 + QUADRATIC_CONDITION * theta[1] ** 2)


def rosenbrock_loss(theta: jax.Array) -> jax.Array:
    """``(1 - x)**2 + 100 (y - x**2)**2``: a curved, narrow valley."""
    x, y = theta[0], theta[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def himmelblau_loss(theta: jax.Array) -> jax.Array:
    """``(x**2 + y - 11)**2 + (x + y**2 - 7)**2``: four global minima."""
    x, y = theta[0], theta[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def beale_loss(theta: jax.Array) -> jax.Array:
    """Beale's function: flat plateaus and steep walls, minimum at (3, 0.5)."""
    x, y = theta[0], theta[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle_loss(theta: jax.Array) -> jax.Array:
    """``(w1**2 - w2**2) / 2``: a saddle, unbounded below."""
    return 0.5 * (theta[0] ** 2 - theta[1] ** 2)


def rastrigin_loss(theta: jax.Array) -> jax.Array:
    """Rastrigin's function: a bowl covered in local minima, global one at 0."""
    return 20.0 + jnp.sum(theta**2 - 10.0 * jnp.cos(2.0 * jnp.pi * theta))


# --- a linear classifier and its non-differentiable 0-1 error -----------------------


def _classifier_data(n: int = 80, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping classes (labels +1/-1) for a bias-free linear classifier."""
    rng = np.random.default_rng(seed)
    labels = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    x = np.outer(labels, [1.0, 0.6]) + rng.normal(0.0, 0.8, size=(n, 2))
    return x.astype(np.float32), labels.astype(np.float32)


CLASSIFIER_X, CLASSIFIER_Y = _classifier_data()
SURROGATE_TEMPERATURE = 0.5


def _margins(theta: jax.Array) -> jax.Array:
    return CLASSIFIER_Y * (CLASSIFIER_X @ theta)


def zero_one_loss(theta: jax.Array) -> jax.Array:
    """Fraction of misclassified points (margin <= 0): piecewise constant."""
    return jnp.mean(1.0 - surrogates.step(_margins(theta)))


def zero_one_soft_loss(theta: jax.Array, temperature: jax.Array | float = SURROGATE_TEMPERATURE) -> jax.Array:
    """The 0-1 error with the step replaced by a sigmoid of this temperature."""
    return jnp.mean(1.0 - surrogates.soft_step(_margins(theta), temperature))


_STE = surrogates.straight_through(surrogates.step, surrogates.soft_step)


def zero_one_ste_loss(theta: jax.Array, temperature: jax.Array | float = SURROGATE_TEMPERATURE) -> jax.Array:
    """Forward: exactly the 0-1 error. Backward: the sigmoid surrogate's gradient."""
    return jnp.mean(1.0 - _STE(_margins(theta), jnp.asarray(temperature, jnp.float32)))


def logistic_loss(theta: jax.Array) -> jax.Array:
    """Cross-entropy ``log(1 + exp(-margin))`` of the same classifier."""
    return jnp.mean(jax.nn.softplus(-_margins(theta)))


def hinge_loss(theta: jax.Array) -> jax.Array:
    """``max(0, 1 - margin)``: the support vector machine's loss."""
    return jnp.mean(jax.nn.relu(1.0 - _margins(theta)))


_CLASSIFIER_BOUNDS: Bounds = ((-4.0, 4.0), (-4.0, 4.0))
_CLASSIFIER_START: Point = (-3.0, 1.0)


_PROBLEM_LIST = (
    Problem(
        name="linear_regression",
        title="Linear regression",
        loss=linear_regression_loss,
        bounds=((-1.5, 4.5), (-3.5, 2.5)),
        start=(-1.0, 2.0),
        minima=(_linear_minimum(),),
        param_names=("w", "b"),
        description="Fit y ≈ w·x + b to 40 noisy points by mean squared error.",
    ),
    Problem(
        name="logistic_regression",
        title="Logistic regression",
        loss=logistic_regression_loss,
        bounds=((-3.0, 4.0), (-3.5, 3.5)),
        start=(-2.5, 3.0),
        minima=(_logistic_minimum(),),
        description="Two overlapping classes, a linear classifier w·x, log loss.",
        lr=0.5,
    ),
    Problem(
        name="quadratic",
        title="Ill-conditioned quadratic",
        loss=quadratic_loss,
        bounds=((-3.0, 3.0), (-2.0, 2.0)),
        start=(-2.5, 1.5),
        minima=((0.0, 0.0),),
        description="An elongated bowl (condition number 25): plain descent zig-zags.",
        lr=0.02,
    ),
    Problem(
        name="rosenbrock",
        title="Rosenbrock",
        loss=rosenbrock_loss,
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.5, 2.0),
        minima=((1.0, 1.0),),
        param_names=("x", "y"),
        description="A long curved valley; easy to find, slow to follow.",
        lr=0.002,
    ),
    Problem(
        name="himmelblau",
        title="Himmelblau",
        loss=himmelblau_loss,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, 0.0),
        minima=(
            (3.0, 2.0),
            (-2.805118, 3.131312),
            (-3.779310, -3.283186),
            (3.584428, -1.848126),
        ),
        param_names=("x", "y"),
        description="Four global minima, all with L = 0: the start decides which.",
        lr=0.01,
    ),
    Problem(
        name="beale",
        title="Beale",
        loss=beale_loss,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(-1.0, 1.5),
        minima=((3.0, 0.5),),
        param_names=("x", "y"),
        description="Flat plateaus and very steep walls (L reaches 10^5).",
        lr=0.002,
    ),
    Problem(
        name="saddle",
        title="Saddle",
        loss=saddle_loss,
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 0.05),
        minima=(),
        lower_bound=None,
        description="No minimum at all: descent slides off along w2 and L → −∞.",
        lr=0.02,
    ),
    Problem(
        name="rastrigin",
        title="Rastrigin",
        loss=rastrigin_loss,
        bounds=((-5.12, 5.12), (-5.12, 5.12)),
        start=(3.2, -2.6),
        minima=((0.0, 0.0),),
        param_names=("x", "y"),
        description="A bowl covered in local minima: descent stops in the nearest one.",
        lr=0.002,
    ),
)

_CLASSIFIER_LIST = (
    Problem(
        name="zero_one",
        title="0-1 error (linear classifier)",
        loss=zero_one_loss,
        bounds=_CLASSIFIER_BOUNDS,
        start=_CLASSIFIER_START,
        minima=(),
        description="The fraction of misclassified points: flat almost everywhere, so its gradient is zero.",
        lr=0.5,
    ),
    Problem(
        name="zero_one_soft",
        title="0-1 error, sigmoid surrogate",
        loss=zero_one_soft_loss,
        bounds=_CLASSIFIER_BOUNDS,
        start=_CLASSIFIER_START,
        minima=(),
        description="The step inside the 0-1 error replaced by a sigmoid: a smooth copy with a real gradient.",
        lr=0.5,
        tempered=zero_one_soft_loss,
        temperature=SURROGATE_TEMPERATURE,
    ),
    Problem(
        name="zero_one_ste",
        title="0-1 error, straight-through gradient",
        loss=zero_one_ste_loss,
        bounds=_CLASSIFIER_BOUNDS,
        start=_CLASSIFIER_START,
        minima=(),
        description="Forward: the exact 0-1 error. Backward: a 'fake' gradient, the sigmoid surrogate's.",
        lr=0.5,
        tempered=zero_one_ste_loss,
        temperature=SURROGATE_TEMPERATURE,
    ),
    Problem(
        name="logistic",
        title="Logistic loss (linear classifier)",
        loss=logistic_loss,
        bounds=_CLASSIFIER_BOUNDS,
        start=_CLASSIFIER_START,
        minima=(_logistic_minimum(CLASSIFIER_X, CLASSIFIER_Y),),
        description="Cross-entropy of the same classifier: convex, smooth, the usual surrogate.",
        lr=0.5,
    ),
    Problem(
        name="hinge",
        title="Hinge loss (linear classifier)",
        loss=hinge_loss,
        bounds=_CLASSIFIER_BOUNDS,
        start=_CLASSIFIER_START,
        # The linear programme min mean(s) s.t. s >= 0, s >= 1 - y x.w, solved once
        # with scipy's HiGHS (tests/test_problems.py re-solves it): scipy.optimize
        # is slow to import, and the app does not need it.
        minima=((1.4909256, 2.02502424),),
        description="max(0, 1 − margin) of the same classifier: convex, a kink at margin 1.",
        lr=0.5,
    ),
)

PROBLEMS: dict[str, Problem] = {p.name: p for p in _PROBLEM_LIST + _CLASSIFIER_LIST}
DEFAULT_PROBLEM = "linear_regression"
