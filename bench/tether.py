"""Imported first by a job server (``bench.execute.job_server``), before its slow preloads: from then on the server
ends, with every process under it, when the worker that started it dies (``bench.processes.serve_tree``)."""
import os

from .processes import SERVER_PARENT_ENV, serve_tree

if SERVER_PARENT_ENV in os.environ:
    serve_tree()
