"""Report generator for 'Fun with Diffusion Models': content -> cached experiments -> static site."""
