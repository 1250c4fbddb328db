"""A forecast learnt from the trace's own past days: the hand-built model, recalibrated nightly.

The hand-built model (control/forecast.py) sets by hand how its signals combine: a title's
decayed starts x the catalogue's rate at (rendition, position), plus resumed viewings.
Whether yesterday's own count of an object, its title's trend, its age or its position say
more than the model already does differs by workload, and the days already seen answer it:
each night, every object the forecast could plan in a region gets a row of features from
the days recorded so far (`_features`), and the next whole day's requests of it are that
row's answer. A Poisson log-linear regression (control/poisson_regression.py) fitted on the
rows of the last `TRAIN_DAYS` days, starting from the model's own forecast, ranks tomorrow's
objects:

    expected(o, r) = (model(o, r) + FLOOR) x exp(w . features(o, r))

- The weights correct the model, they do not replace it: they are penalised towards 0 (the
  model as it is) with `RIDGE_PER_ROW` per training row. Measured (docs/benchmarks.md,
  "Learned forecast"): with a light penalty the fit follows the noise of one or two days and
  ranks worse than the model on some traces; with this one it ranks better on every trace
  tuned on, by a little.

- Training pairs are (features at the night before day d, requests on day d) for days d
  already recorded, never the day being forecast: `record_day` is the one way in.
- A day that is much shorter than the next (a trace's first, partial day) makes no training
  pair: its counts are a fraction of a day's, which would teach the wrong scale.
- Until a pair exists (the first nights) the forecast is the model's own.
- Only objects the model forecasts or the region requested on the last days are ranked: the
  others have no size known and nothing of the past names them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from vodstack.control.coverage import Unrequested
from vodstack.control.forecast import START_SPAN, ForecastModel, PopularityForecast
from vodstack.control.objects import ObjectInfo
from vodstack.control.poisson_regression import Matrix, PoissonRegression

K = TypeVar("K", bound=Hashable)
HISTORY_DAYS = 2  # per-day counts kept per region for the features
TRAIN_DAYS = 7  # nights of training rows kept per region
# A recorded day with fewer requests than this share of the next is a partial one.
WHOLE_DAY = 0.5
FLOOR = 0.01  # expected requests below this are all "about none" to a log feature
RIDGE_PER_ROW = 0.2


@dataclass(frozen=True)
class _Night(Generic[K]):
    """One region's candidates at one night: their features and the model's forecast."""

    keys: list[K]
    offset: Matrix  # log(model + FLOOR)
    features: Matrix
    model: dict[K, float]
    requests: float  # the region's requests on the last day the features saw


class LearnedForecast(Generic[K]):
    """Counts per day in, expected requests per object and region out (learnt weights)."""

    def __init__(self, model: ForecastModel, describe: Callable[[K], ObjectInfo]) -> None:
        self.model = model
        self._base: PopularityForecast[K] = PopularityForecast(model, describe)
        self._describe = describe
        self._info: dict[K, ObjectInfo] = {}
        # (title, rendition, position) -> key, of the objects requested in the region history
        self._slots: dict[tuple[str, str, int], K] = {}
        self._history: dict[str, list[dict[K, float]]] = {}  # region -> days, newest first
        self._first_seen: dict[str, dict[str, int]] = {}  # region -> title -> day
        self._nights: dict[str, _Night[K]] = {}
        # region -> the last nights' (features, offset, answers)
        self._rows: dict[str, list[tuple[Matrix, Matrix, Matrix]]] = {}
        self._fit: PoissonRegression | None = None

    @property
    def days(self) -> int:
        return self._base.days

    @property
    def fitted(self) -> PoissonRegression | None:
        """The regression tomorrow is ranked by; None until a training pair exists."""
        return self._fit

    def record_day(
        self,
        counts: Mapping[str, Mapping[K, float]],
        title_demand: Mapping[str, Mapping[str, float]] | None = None,
        whole: bool = True,
    ) -> None:
        """One day of requests (see `PopularityForecast.record_day`); a whole day also
        answers last night's rows and refits the weights."""
        if whole:
            self._learn(counts)
        day = self._base.days
        self._base.record_day(counts, title_demand, whole)
        self._remember(counts, day)

    def with_partial_day(
        self, counts: Mapping[str, Mapping[K, int]], share_of_day: Mapping[str, float]
    ) -> LearnedForecast[K]:
        """A copy that has also seen today so far, scaled to a whole day; the weights stay
        (a day so far answers no row)."""
        fork = copy.copy(self)
        fork._base = self._base.with_partial_day(counts, share_of_day)
        fork._slots = dict(self._slots)
        fork._history = {region: list(days) for region, days in self._history.items()}
        fork._first_seen = {region: dict(titles) for region, titles in self._first_seen.items()}
        scaled = {
            region: {key: n / share_of_day[region] for key, n in objects.items()}
            for region, objects in counts.items()
            if region in share_of_day
        }
        fork._remember(scaled, self._base.days)
        return fork

    def title_demand(self, region: str) -> dict[str, float]:
        return self._base.title_demand(region)

    def expected_requests(self, region: str) -> dict[K, float]:
        """Expected requests per object in `region` tomorrow; objects never seen are absent."""
        night = self._nights.get(region)
        if night is None:
            return {}
        if self._fit is None:
            return dict(night.model)
        expected = self._fit.predict(night.features, night.offset)
        return dict(zip(night.keys, expected.tolist(), strict=True))

    def unrequested(self, region: str, floor: float) -> list[Unrequested[K]]:
        """The model's: an unrequested position has none of the features the weights read."""
        return self._base.unrequested(region, floor)

    def _learn(self, counts: Mapping[str, Mapping[K, float]]) -> None:
        for region, night in self._nights.items():
            objects = counts.get(region, {})
            total = float(sum(objects.values()))
            if not total or night.requests < WHOLE_DAY * total:
                continue
            answers = np.array([float(objects.get(key, 0.0)) for key in night.keys])
            rows = self._rows.setdefault(region, [])
            rows.append((night.features, night.offset, answers))
            del rows[:-TRAIN_DAYS]
        pairs = [pair for rows in self._rows.values() for pair in rows]
        if pairs:
            x = np.vstack([features for features, _offset, _answers in pairs])
            offset = np.concatenate([offset for _features, offset, _answers in pairs])
            y = np.concatenate([answers for _features, _offset, answers in pairs])
            self._fit = PoissonRegression.fit(x, y, RIDGE_PER_ROW * len(y), offset)

    def _remember(self, counts: Mapping[str, Mapping[K, float]], day: int) -> None:
        """Adds a day to the per-region history and makes each region's rows for tonight."""
        for region in self._history.keys() | counts.keys():
            objects = dict(counts.get(region, {}))
            history = self._history.setdefault(region, [])
            history.insert(0, objects)
            del history[HISTORY_DAYS:]
            first = self._first_seen.setdefault(region, {})
            for key in objects:
                info = self._info_of(key)
                first.setdefault(info.title, day)
                if info.position is not None:
                    self._slots[(info.title, info.rendition, info.position)] = key
        self._nights = {region: self._night(region, day) for region in sorted(self._history)}

    def _info_of(self, key: K) -> ObjectInfo:
        # Shared with intraday copies: a cache of `describe`, which says nothing of the day.
        info = self._info.get(key)
        if info is None:
            info = self._info[key] = self._describe(key)
        return info

    def _night(self, region: str, day: int) -> _Night[K]:
        popularity, returning = self._base.expected_parts(region)
        history = self._history[region]
        keys = list(dict.fromkeys([*popularity, *returning, *history[0]]))
        model = {key: popularity.get(key, 0.0) + returning.get(key, 0.0) for key in keys}
        offset = np.log(np.array([model[key] for key in keys], dtype=np.float64) + FLOOR)
        features = self._features(region, day, keys, popularity, returning)
        return _Night(keys, offset, features, model, float(sum(history[0].values())))

    def _features(
        self,
        region: str,
        day: int,
        keys: list[K],
        popularity: Mapping[K, float],
        returning: Mapping[K, float],
    ) -> Matrix:
        history = self._history[region]
        last = history[0]
        before = history[1] if len(history) > 1 else {}
        elsewhere: dict[K, float] = {}
        for name, days in self._history.items():
            if name != region:
                for key, n in days[0].items():
                    elsewhere[key] = elsewhere.get(key, 0.0) + n
        title_last = _by_title(last, self._info_of)
        title_before = _by_title(before, self._info_of)
        starts_last = _starts(last, self._info_of)
        starts_before = _starts(before, self._info_of)
        starts_elsewhere = _starts(elsewhere, self._info_of)
        first = self._first_seen[region]
        log, log1p = math.log, math.log1p
        rows = []
        for key in keys:
            info = self._info_of(key)
            pop, ret = popularity.get(key, 0.0), returning.get(key, 0.0)
            position = info.position
            previous = 0.0
            if position is not None:
                neighbour = self._slots.get((info.title, info.rendition, position - 1))
                previous = last.get(neighbour, 0.0) if neighbour is not None else 0.0
            seen = first.get(info.title)
            age = day - seen + 1 if seen is not None else 0
            rows.append((
                log(pop + FLOOR), log(ret + FLOOR),
                log1p(last.get(key, 0.0)), log1p(before.get(key, 0.0)),
                log1p(elsewhere.get(key, 0.0)),
                log1p(title_last.get(info.title, 0.0)), log1p(title_before.get(info.title, 0.0)),
                log1p(starts_last.get(info.title, 0.0)),
                log1p(starts_before.get(info.title, 0.0)),
                log1p(starts_elsewhere.get(info.title, 0.0)),
                1.0 / (age + 1), log1p(position or 0),
                1.0 if position is not None and position < START_SPAN else 0.0,
                log1p(previous),
            ))  # fmt: skip
        return np.array(rows, dtype=np.float64).reshape(len(keys), FEATURES)


FEATURES = 14


def _by_title(counts: Mapping[K, float], info_of: Callable[[K], ObjectInfo]) -> dict[str, float]:
    result: dict[str, float] = {}
    for key, n in counts.items():
        title = info_of(key).title
        result[title] = result.get(title, 0.0) + n
    return result


def _starts(counts: Mapping[K, float], info_of: Callable[[K], ObjectInfo]) -> dict[str, float]:
    """Viewings from the start per title: its first positions' requests / START_SPAN."""
    result: dict[str, float] = {}
    for key, n in counts.items():
        info = info_of(key)
        if info.position is not None and info.position < START_SPAN:
            result[info.title] = result.get(info.title, 0.0) + n / START_SPAN
    return result
