"""TabSCM: the learned, amortized causal-discovery model (``tabscm``) and the reported
architecture it replaces (``tabscm-seed``). Importing this package registers both methods
and loads no torch; model.py, train.py and infer.py import torch and load on demand."""
from . import method  # noqa: F401  (registers tabscm, tabscm-seed)
