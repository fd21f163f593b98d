"""Import cdt's pairwise models quietly (cdt announces its GPU settings on import); named in the bivariate
methods' preload so a job server imports it once, without printing to the run's terminal."""
from ._quiet import import_quietly

pairwise = import_quietly("cdt.causality.pairwise")
