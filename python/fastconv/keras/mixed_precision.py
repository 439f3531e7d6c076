"""``keras.mixed_precision`` for fastconv: the float32 policy (the only one until bfloat16 arrives;
see the issue on bfloat16), so that programs which set it explicitly run."""

__all__ = ["set_global_policy", "global_policy"]

_POLICY = "float32"


def set_global_policy(policy):
    """Accepts "float32" (fastconv's only compute policy for now); other policies raise ValueError."""
    name = getattr(policy, "name", policy)
    if name != "float32":
        raise ValueError(f"mixed_precision policy {name!r} is not supported by fastconv yet: only 'float32' "
                         "(layers may also be built with dtype='float64')")


def global_policy():
    return _POLICY
