"""Correlations of two samples: Pearson r, Spearman rho, and partial Pearson r controlling for
covariates (the Pearson r of least-squares residuals)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["partial_correlation", "pearson", "residual_pearson", "residuals", "spearman"]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two (N,) arrays, computed in float64; NaN when N < 2 or either is constant."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 2:
        return float("nan")
    x = x - x.mean()
    y = y - y.mean()
    # (x * y).sum() rather than np.dot: a BLAS call costs milliseconds of thread start-up here.
    den = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    if den == 0.0:
        return float("nan")
    return float(np.clip((x * y).sum() / den, -1.0, 1.0))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rho of two (N,) arrays: Pearson r of their ranks (ties get average ranks)."""
    if np.size(x) < 2:
        return float("nan")
    from scipy.stats import rankdata  # imported here: scipy.stats costs ~0.5 s at start-up

    return pearson(rankdata(x), rankdata(y))


def residuals(y: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    """``y`` (N,) minus its least-squares fit on an intercept and ``covariates`` (N, K), float64.

    Residuals that are rounding noise (sum of squares below 1e-20 of ``y``'s own, or ``y``
    constant) are returned as exact zeros: ``y`` is a function of the covariates."""
    y = np.asarray(y, dtype=np.float64)
    design = np.column_stack([np.ones(len(y)), np.asarray(covariates, dtype=np.float64).reshape(len(y), -1)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    res = y - design @ coef
    total = float(((y - y.mean()) ** 2).sum()) if len(y) else 0.0
    if float((res * res).sum()) <= 1e-20 * total or total == 0.0:
        return np.zeros_like(res)
    return res


def residual_pearson(rx: np.ndarray, ry: np.ndarray) -> float:
    """Pearson r of two residual vectors; 0 when either is all zeros (a variable the covariates
    explain entirely has nothing left that could agree with anything)."""
    if rx.size < 2:
        return float("nan")
    if not rx.any() or not ry.any():
        return 0.0
    return pearson(rx, ry)


def partial_correlation(x: np.ndarray, y: np.ndarray, covariates: np.ndarray) -> float:
    """Partial Pearson r of (N,) ``x`` and ``y`` controlling for ``covariates`` (N, K): the Pearson
    r of their residuals after a least-squares fit (with intercept) on the covariates.  0 when
    ``x`` or ``y`` is a linear function of the covariates; NaN when N < 2."""
    return residual_pearson(residuals(x, covariates), residuals(y, covariates))
