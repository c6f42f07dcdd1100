"""Data: MNIST and the test images."""
