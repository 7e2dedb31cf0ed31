"""Realistic demo data: advisors on a journey, written as raw deliveries per the data contract.

    from cjo_data.generate import generate, GenerateConfig
    generate(GenerateConfig(advisors=1500, days=120, seed=7, out=Path("data/raw")))

See docs/demo-data.md for what is simulated, the planted effects and the kinds of dirt.
"""

from cjo_data.generate.config import DEFAULT_END_DATE, GenerateConfig
from cjo_data.generate.core import GROUND_TRUTH, generate

__all__ = ["DEFAULT_END_DATE", "GROUND_TRUTH", "GenerateConfig", "generate"]
