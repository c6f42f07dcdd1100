"""The resources this report's experiments read besides parameters and upstream results, registered
for the engine (``generator/engine/resources.py`` gives the protocol): the MNIST split.

These adapters choose and load; the code that reads the data (``generator/data/mnist.py``) is in
the key of every experiment that uses it, and what was chosen enters those keys as a value.
"""
from .mnist_split import MnistSplit

RESOURCES = [MnistSplit()]

# why no module here is in a key (generator/engine/keys.py, outside_keys)
OUTSIDE_KEYS_REASON = ("a resource adapter: it chooses and builds through its key_modules, which are in the key of "
                       "every experiment that uses the resource, and its choice enters those keys as the "
                       "resource's identity (for MNIST: the source and a fingerprint of the digits)")
