"""The build engine, apart from the science: content -> plan -> run -> cache -> render.

* ``cli``: the command line (``python build.py``) and the order of the steps below;
* ``content``: Markdown pages, their front matter and figure references;
* ``registry``, ``params``: the experiment modules and their typed, checked parameters;
* ``plan``: every experiment's key, looked up before anything runs (``keys``: what a key covers);
* ``run``, ``ray_executor``: running what is missing or stale, here or on a Ray cluster;
* ``store``, ``object_store``: the content-addressed store, in a folder or behind an fsspec URL
  (``atomic``: replacing a folder in one step, and what a killed build left behind);
* ``render``: the static site from cached artifacts (templates/);
* ``threads``, ``resources``, ``build_stamp``: thread count, cluster requests, the no-op fast path.

An experiment sees only ``generator.context.Context`` and returns values that
``generator.artifacts`` writes; both sit beside the science (they are in every key). See
docs/architecture.md.
"""
