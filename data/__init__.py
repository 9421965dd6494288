"""Data layer: read, validate, features, windows, walk-forward folds (test sealed), scalers."""

from data.datasets import DATASETS, load
from data.errors import DataError
from data.features import with_features
from data.scale import Scaler
from data.spec import DataSpec
from data.split import FinalData, Fold, SealedSplitError, SearchData, Segment, SplitPlan, make_plan
from data.window import Windows, make_windows

__all__ = [
    "DATASETS", "DataError", "DataSpec", "FinalData", "Fold", "Scaler", "SealedSplitError", "SearchData",
    "Segment", "SplitPlan", "Windows", "load", "make_plan", "make_windows", "with_features",
]
