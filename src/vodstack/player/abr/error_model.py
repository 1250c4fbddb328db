"""How wrong a throughput prediction tends to be, given how volatile the link has just been.

After each chunk the ratio `measured / predicted` link throughput is one sample of the predictor's
error. Its spread depends strongly on how much the last few measurements varied: on a steady
link 95% of ratios fall within 0.79..1.10, on a volatile mobile link within 0.47..2.8. The model
keeps, for four volatility bands, 20 evenly spaced quantiles (2.5%, 7.5%, ... 97.5%) of the
ratio, fitted once on the training traces (all 127, both families pooled, about 5,800
predictions from simulated sessions of the planner); docs/abr.md describes the fit. Each quantile
becomes one equally likely throughput scenario for the planner.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Upper volatility limits of bands 0..2 (band 3 is everything above). Volatility is the mean
#: absolute deviation of the last measurements divided by their mean; the limits are its
#: quartiles on the training traces.
VOLATILITY_EDGES: tuple[float, ...] = (0.0281, 0.0741, 0.1458)

#: Ratio quantiles per volatility band.
RATIO_QUANTILES: tuple[tuple[float, ...], ...] = (
    (0.791, 0.923, 0.954, 0.969, 0.977, 0.985, 0.989, 0.993, 0.997, 1.0,
     1.002, 1.004, 1.007, 1.01, 1.015, 1.021, 1.028, 1.037, 1.052, 1.103),
    (0.61, 0.776, 0.857, 0.894, 0.921, 0.943, 0.961, 0.977, 0.992, 1.005,
     1.017, 1.027, 1.039, 1.049, 1.06, 1.074, 1.093, 1.129, 1.182, 1.298),
    (0.559, 0.7, 0.771, 0.819, 0.863, 0.903, 0.94, 0.968, 0.995, 1.019,
     1.045, 1.062, 1.084, 1.102, 1.125, 1.157, 1.189, 1.229, 1.304, 1.494),
    (0.471, 0.594, 0.706, 0.772, 0.854, 0.924, 0.975, 1.028, 1.076, 1.132,
     1.186, 1.232, 1.285, 1.338, 1.407, 1.476, 1.563, 1.68, 1.894, 2.769),
)  # fmt: skip


@dataclass(frozen=True)
class ErrorModel:
    """Prediction-error scenarios per volatility band."""

    edges: tuple[float, ...] = VOLATILITY_EDGES
    quantiles: tuple[tuple[float, ...], ...] = RATIO_QUANTILES

    def __post_init__(self) -> None:
        if len(self.quantiles) != len(self.edges) + 1:
            raise ValueError("need one quantile list per volatility band")

    def band(self, volatility: float) -> int:
        """Volatility band: the number of edges the volatility exceeds."""
        return sum(1 for edge in self.edges if volatility > edge)

    def ratios(self, volatility: float) -> tuple[float, ...]:
        """The equally likely `measured / predicted` ratios for this volatility."""
        return self.quantiles[self.band(volatility)]
