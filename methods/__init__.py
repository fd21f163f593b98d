"""Methods: the Method interface, its registry, wrappers of classical algorithms,
sanity baselines and the learned TabSCM model."""
from .base import InvalidPrediction, Method, Prediction
from .registry import ENTRY_POINT_GROUP, get_method, list_methods, method_class, register

__all__ = ["ENTRY_POINT_GROUP", "InvalidPrediction", "Method", "Prediction", "get_method",
           "list_methods", "method_class", "register"]
