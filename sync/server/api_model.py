"""The base of the platform's JSON models (requests and answers of the office's API): exactly
the fields it names, an unknown one refused, and frozen once made."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
