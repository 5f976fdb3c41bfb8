"""Tests of territory.tables.dealers: validate_dealers."""

import numpy as np
import pandas as pd

from territory.tables import validate_dealers
from territory_cases import validation_error_text


def test_dealers_duplicate_and_coordinates() -> None:
    """Dealer table problems are named."""
    dealers = pd.DataFrame({"dealer_id": ["D1", "D1"], "lon": [9.0, np.nan], "lat": [48, 48]})
    text = validation_error_text(validate_dealers, dealers)
    assert "dealers: column 'dealer_id' has 1 duplicate ids (dealer_id: 'D1')" in text
    assert "dealers: column 'lon' has 1 missing values (dealer_id: 'D1')" in text
