"""Section 10: text-conditioned SDEdit: each image is edited toward the prompt's subject."""
import re


def test_each_edit_is_read_both_as_its_own_digit_and_as_the_prompts(experiment):
    values, p = experiment("text_sdedit", reads=2, i_starts=[5, 20], compare_i_start=20)
    rows = values["readings"]["rows"]
    assert len(rows) == 2 * len(p.images)
    for own, prompt in zip(rows[::2], rows[1::2]):
        assert own[0] == prompt[0] and own[1].startswith("its own")
        assert prompt[1] == "the prompt's 1"                    # the scratch model's digit for "a rocket ship"
        shares = [int(v.rstrip("%")) for v in own[2:] + prompt[2:]]
        assert all(0 <= s <= 100 and s % 50 == 0 for s in shares)   # two reads each: 0, 50 or 100 %
    assert all(re.fullmatch(r"i_start = \d+", c) for c in values["readings"]["columns"][2:])
