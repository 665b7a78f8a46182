"""Larder in process: training sets and online features from a Larder store, through
Larder's C library (libLarderC) and the Arrow C Data Interface, without copies.

>>> import larder
>>> with larder.FeatureStore("larder.db") as store:
...     table = store.get_historical_features(entity_df, features=["driver_stats:conv_rate"])
...     reader = store.online_reader("driver_ranking")
...     reader.get(1001)
"""

from ._reader import OnlineFeatures, OnlineReader
from ._store import FeatureStore
from .errors import (BackfillFailedError, ConflictError, InvalidInputError, LarderError, LarderIOError, NotFoundError, StorageError,
                     ValidationError)

__all__ = ["FeatureStore", "OnlineReader", "OnlineFeatures", "LarderError", "InvalidInputError",
           "ValidationError", "BackfillFailedError", "NotFoundError", "ConflictError", "StorageError", "LarderIOError"]
