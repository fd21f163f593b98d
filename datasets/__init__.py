"""Datasets: the Dataset contract, the SCM generator, named suites (ours and gcastle's), Sachs, Tübingen, the
bnlearn Gaussian networks and user CSVs."""
from .base import DataError, Dataset, Observations
from .registry import (DatasetRef, dataset_ref, describe_suites, list_datasets, list_suites,
                       load_dataset, load_suite, register_dataset, register_suite, suite_refs)
from .tables import from_csv
from . import sachs as _sachs  # noqa: F401  (registers the Sachs variants)
from . import suites as _suites  # noqa: F401  (registers the synthetic suites)
from . import external as _external  # noqa: F401  (registers suites from other simulators)
from . import tuebingen as _tuebingen  # noqa: F401  (registers the suite tuebingen)
from . import bnlearn as _bnlearn  # noqa: F401  (registers the suite bnlearn-gaussian)

__all__ = ["DataError", "Dataset", "DatasetRef", "Observations", "dataset_ref", "describe_suites",
           "from_csv", "list_datasets", "list_suites", "load_dataset", "load_suite", "register_dataset",
           "register_suite", "suite_refs"]
