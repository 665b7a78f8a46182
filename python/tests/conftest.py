"""Fixtures: a fresh store in a temporary folder with definitions of every type applied.

The library is found as the package finds it: $LARDER_LIBRARY (set by the Swift test that
runs this suite), else the package folder, else the repository's .build folder."""

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import larder  # noqa: E402

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)

DEFINITIONS = """
entities:
  - name: driver
    join_keys: [{name: driver_id, type: int64}]
  - name: city
    join_keys: [{name: city_code, type: string}]
feature_views:
  - name: stats
    entity: driver
    ttl: 0
    features:
      - {name: rate, type: float64, expect: {min: 0, max: 1}}
      - {name: trips, type: int64}
      - {name: ok, type: bool}
      - {name: label_text, type: string}
      - {name: blob, type: bytes}
      - {name: seen, type: timestamp}
      - {name: emb, type: "vector<float32, 3>"}
  - name: fresh
    entity: driver
    ttl: 1h
    features:
      - {name: speed, type: float64}
  - name: cities
    entity: city
    ttl: 0
    features:
      - {name: population, type: int64}
      - {name: name, type: string}
feature_sets:
  - name: ranking
    features: [stats:rate, stats:trips]
"""


@pytest.fixture
def store(tmp_path):
    definitions = tmp_path / "defs.yaml"
    definitions.write_text(DEFINITIONS)
    with larder.FeatureStore(tmp_path / "larder.db") as store:
        store.apply(definitions)
        yield store
