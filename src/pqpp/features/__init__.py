"""Training-free baseline predictors: the paper's linguistic features."""

from pqpp.features.linguistic import FEATURES, FeatureTable, linguistic_features, words
from pqpp.features.resources import ResourceUnavailableError

__all__ = ["FEATURES", "FeatureTable", "ResourceUnavailableError", "linguistic_features", "words"]
