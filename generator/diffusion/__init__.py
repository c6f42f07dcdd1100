"""The math of diffusion as pure functions of tensors.

Nothing here imports a model, a file or the renderer: the processes take a noise
predictor (``EpsFn``) and a ``torch.Generator`` as arguments, as diffusers'
schedulers and DiT's ``gaussian_diffusion.py`` do.
"""
