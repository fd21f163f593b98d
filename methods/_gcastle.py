"""Import gcastle quietly; named in Notears.preload so job processes import it once, not per job."""
from ._quiet import import_quietly

algorithms = import_quietly("castle.algorithms", env={"CASTLE_BACKEND": "pytorch"})
