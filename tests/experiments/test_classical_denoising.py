"""Section 3: Gaussian-blur denoising, the blur chosen by PSNR against the clean image."""


def test_more_noise_needs_a_wider_blur_and_the_blur_helps_most_there(experiment):
    # the smallest sigma (0.05 px) is the identity, so the best blur is never worse than none
    values, _ = experiment("classical_denoising", t=[100, 500, 900], sigmas=[0.05, 0.5, 1.0, 1.5, 2.0, 3.0])
    cols = values["chosen"]["columns"]
    rows = [dict(zip(cols, r)) for r in values["chosen"]["rows"]]
    sigmas = [r["sigma"] for r in rows]
    gains = [r["PSNR blurred (dB)"] - r["PSNR noisy (dB)"] for r in rows]
    assert sigmas == sorted(sigmas) and sigmas[-1] > sigmas[0], sigmas
    assert min(gains) >= -0.01 and gains[-1] > 1.0, gains
