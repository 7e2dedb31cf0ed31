"""Bring your own data: worked examples that map two public datasets onto the raw data contract.

- `telco`: IBM Telco Customer Churn (Apache-2.0) -> a B2C subscription business in the crm, privacy tables.
- `shoppers`: UCI Online Shoppers Purchasing Intention (CC BY 4.0) -> anonymous web sessions.

Both mappers are pure, deterministic functions of their input file (no randomness, no clock), written
with the standard library only so they read as a template for your own export. Run them with
`python -m cjo_data.byod telco|shoppers --out DIR`; see docs/bring-your-own-data.md.
"""

from cjo_data.byod.common import MappingResult, SourceFileError
from cjo_data.byod.shoppers import map_shoppers
from cjo_data.byod.telco import map_telco

__all__ = ["MappingResult", "SourceFileError", "map_shoppers", "map_telco"]
