"""A module that takes 3 s to import, as torch or gcastle can: ``SlowToPreload``'s preload."""
import time

time.sleep(3)
