"""The resources this report's experiments read besides parameters and upstream results, registered
for the engine (``generator/engine/resources.py`` gives the protocol): the MNIST split and the Part A
model, and the memory of the cluster tasks that need more than the default.

These adapters choose and load; the code that reads the data (``generator/data/mnist.py``) is in
the key of every experiment that uses it, and what was chosen enters those keys as a value.
"""
from .mnist_split import MnistSplit
from .part_a_model import PartAModel

RESOURCES = [MnistSplit(), PartAModel()]

# rough peak host memory of a cluster task, in GiB, where far from 1 GiB (generator/engine/cluster_needs.py):
# declared here and not in the experiment modules, which are part of their own results' keys
TASK_MEMORY_GIB = {
    "prompt_embeddings": 24.0,   # T5-XXL in fp16 on the CPU before it moves to the GPU
    "train_class_ddpm": 2.0, "train_time_ddpm": 2.0, "train_denoiser": 2.0,
    "train_improved_ddpm": 2.0, "train_flow": 2.0,
    "ddpm_results": 3.0, "improved_results": 3.0,
}

# why no module here is in a key (generator/engine/keys.py, outside_keys)
OUTSIDE_KEYS_REASON = ("a resource adapter: it chooses and builds through its key_modules, which are in the key of "
                       "every experiment that uses the resource, and its choice enters those keys as the "
                       "resource's identity (for MNIST: the source and a fingerprint of the digits)")
