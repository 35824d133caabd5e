import schedalg as sa


def test_acceptance_example_prints_canonical_form_and_half_peak():
    s = sa.warmup(sa.cosine(1e-3, 0.0, 9000), 1000)
    assert repr(s) == "warmup(cosine(start=0.001, end=0.0, steps=9000), steps=1000)"
    assert abs(float(s(500)) - 0.0005) < 1e-9
