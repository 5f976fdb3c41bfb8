"""A synthetic but realistic sales region, built deterministically from a seed."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from territory.errors import ValidationError
from territory.geometry import weighted_kmeans

__all__ = ["SampleRegion", "sample_region"]

#: Most customers one rep looks after in the sample region (about 12 visits a day).
CUSTOMERS_PER_REP = 90
#: Customers per dealer (each dealer supplies the stores around it).
CUSTOMERS_PER_DEALER = 250
#: Share of the dealer-supplied stores, the largest by potential, that are key accounts
#: (main dealer stores that company reps visit themselves).
KEY_DEALER_STORE_SHARE = 0.03
#: Company reps per area manager (the company reps' ``supervisor_id``).
REPS_PER_AREA_MANAGER = 6
#: The product lines of ``product_sales``: the established line and a new one launched
#: :data:`NEW_LINE_MONTHS` months before the end of the history.
PRODUCT_LINES = ("core", "new")
NEW_LINE_MONTHS = 3
#: Share of the customers that took the new line, and its share of their sales.
NEW_LINE_ADOPTION = 0.3
NEW_LINE_SHARE = (0.05, 0.25)
#: Monthly seasonality of sales (January first), mean 1.
SEASONALITY = np.array([0.85, 0.88, 0.97, 1.02, 1.05, 1.03, 0.95, 0.92, 1.02, 1.07, 1.09, 1.15])
SEASONALITY = SEASONALITY / SEASONALITY.mean()

_OPENING_HOURS = (  # (opens, closes, probability) for stores
    ("08:00", "20:00", 0.45),
    ("09:00", "18:00", 0.35),
    ("07:00", "13:00", 0.05),
    ("10:00", "19:00", 0.15),
)


@dataclass(frozen=True)
class SampleRegion:
    """The sample region: customers, reps, dealers and 24 months of sales.

    Attributes
    ----------
    customers
        ``customer_id, name, kind, dealer_id, key_account, town, lon, lat, opens,
        closes, potential, relationship``. ``kind`` is ``"dealer"`` for the dealers
        themselves (they are customers too) and ``"store"`` otherwise; ``dealer_id`` is
        the supplying dealer (empty for direct-supplied stores and for dealers);
        ``key_account`` marks the key direct stores and the main dealer-supplied stores
        (the largest :data:`KEY_DEALER_STORE_SHARE` by potential), which company reps
        serve (:mod:`territory.eligibility`); ``potential`` is annual sales potential;
        ``relationship`` a 1-5 score.
    reps
        ``rep_id, name, kind, dealer_id, home_lon, home_lat, day_start, day_end,
        weekdays, lunch_start, lunch_minutes, supervisor_id``: a dealer rep's supervisor
        is the company rep living nearest, who manages it; a company rep's is its area
        manager (``"AM01"``, ..., people outside the table, one per
        :data:`REPS_PER_AREA_MANAGER` company reps from west to east).
    dealers
        ``dealer_id, name, town, lon, lat``.
    sales
        Long table ``customer_id, month, sales`` (month as ``"YYYY-MM"``), 24 months,
        one row per customer and month (all product lines together).
    product_sales
        The same sales by product line: ``customer_id, month, product_line, sales``.
        ``"core"`` every month; ``"new"``, launched :data:`NEW_LINE_MONTHS` months
        before the end, at about :data:`NEW_LINE_ADOPTION` of the customers (little
        history). Per customer and month the lines add up to ``sales``.
    seed
        The seed that built it.
    """

    customers: pd.DataFrame
    reps: pd.DataFrame
    dealers: pd.DataFrame
    sales: pd.DataFrame
    seed: int
    product_sales: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def summary(self) -> str:
        """A few lines describing the region."""
        c = self.customers
        stores = c[c["kind"] == "store"]
        direct = stores["dealer_id"].isna()
        key_dealer = int((stores["key_account"] & ~direct).sum())
        lines = (
            sorted(self.product_sales["product_line"].unique())
            if "product_line" in self.product_sales.columns
            else []
        )
        supervised = (
            int(self.reps["supervisor_id"].notna().sum())
            if "supervisor_id" in self.reps.columns
            else 0
        )
        return "\n".join(
            [
                f"sample region (seed {self.seed}): {len(c)} customers in "
                f"{c['town'].nunique()} towns",
                f"  {len(self.dealers)} dealers, {int(direct.sum())} direct-supplied stores "
                f"({int((stores['key_account'] & direct).sum())} key accounts), "
                f"{int((~direct).sum())} dealer-supplied stores ({key_dealer} key accounts "
                "served by company reps)",
                f"  {int((self.reps['kind'] == 'company').sum())} company reps, "
                f"{int((self.reps['kind'] == 'dealer').sum())} dealer reps "
                f"({supervised} reps with a supervisor)",
                f"  sales {self.sales['month'].min()} to {self.sales['month'].max()}: "
                f"{self.sales['sales'].sum():,.0f}"
                + (f" (product lines {', '.join(lines)})" if lines else ""),
            ]
        )


def sample_region(
    n_customers: int = 2000,
    *,
    seed: int = 0,
    end_month: str = "2026-10",
    months: int = 24,
    centre: tuple[float, float] = (9.18, 48.78),
    center: tuple[float, float] | None = None,
) -> SampleRegion:
    """Build the sample region, deterministically.

    Parameters
    ----------
    n_customers
        Number of customers (dealers included); the area grows with it so that the
        density of stores stays realistic. Scales to 100,000 and more.
    seed
        Random seed; the same seed gives the same region.
    end_month
        Last month of the sales history (``"YYYY-MM"``).
    months
        Length of the sales history.
    centre
        ``(lon, lat)`` of the middle of the region.
    center
        Deprecated spelling of ``centre`` (the library spells it ``centre``
        everywhere, as ``design_territories(centre=...)``).

    Returns
    -------
    SampleRegion

    Examples
    --------
    >>> region = sample_region(300, seed=1)
    >>> len(region.customers)
    300
    """
    if center is not None:
        warnings.warn(
            "sample_region(center=...) is deprecated; use centre=...",
            DeprecationWarning,
            stacklevel=2,
        )
        centre = center
    if n_customers < 20:
        raise ValidationError(f"sample_region: n_customers must be at least 20, got {n_customers}")
    if months < 1:
        raise ValidationError(f"sample_region: months must be at least 1, got {months}")
    rng = np.random.default_rng(seed)
    scale = np.sqrt(n_customers / 2000.0)
    n_towns = max(3, round(6 * scale))
    n_dealers = max(2, round(n_customers / CUSTOMERS_PER_DEALER))
    half_width_km = 45.0 * scale
    km_per_deg_lat = 111.2
    km_per_deg_lon = km_per_deg_lat * np.cos(np.radians(centre[1]))

    # Towns: a Zipf-like size distribution, spread over the region.
    town_xy = rng.uniform(-half_width_km, half_width_km, size=(n_towns, 2))
    town_weight = 1.0 / np.arange(1, n_towns + 1) ** 0.8
    town_weight = rng.permutation(town_weight / town_weight.sum())
    town_spread_km = 2.0 + 10.0 * np.sqrt(town_weight / town_weight.max())
    town_names = np.array([f"Town {i + 1:02d}" for i in range(n_towns)], dtype=object)

    # Dealers sit in towns, the largest towns getting the most.
    dealer_town = rng.choice(n_towns, size=n_dealers, p=town_weight)
    dealer_xy = town_xy[dealer_town] + rng.normal(0, 1.0, size=(n_dealers, 2)) * 1.5
    dealer_ids = np.array([f"D{i + 1:03d}" for i in range(n_dealers)], dtype=object)

    # Stores: clustered around towns, a tail scattered in the countryside.
    n_stores = n_customers - n_dealers
    rural = rng.random(n_stores) < 0.08
    store_town = rng.choice(n_towns, size=n_stores, p=town_weight)
    store_xy = (
        town_xy[store_town]
        + rng.normal(size=(n_stores, 2)) * town_spread_km[store_town, None] * 0.5
    )
    store_xy[rural] = rng.uniform(-half_width_km, half_width_km, size=(int(rural.sum()), 2))

    # Supply: the nearest dealer supplies about 60 % of the stores; the rest are direct,
    # among them the key accounts.
    nearest_dealer = cKDTree(dealer_xy).query(store_xy)[1]
    supply = rng.random(n_stores)
    key_account = supply < 0.05
    direct = supply < 0.38
    store_dealer = np.where(direct, None, dealer_ids[nearest_dealer])

    xy = np.vstack([dealer_xy, store_xy])
    lon = centre[0] + xy[:, 0] / km_per_deg_lon
    lat = centre[1] + xy[:, 1] / km_per_deg_lat
    kind = np.array(["dealer"] * n_dealers + ["store"] * n_stores, dtype=object)
    towns = np.concatenate([town_names[dealer_town], town_names[store_town]])
    towns[n_dealers:][rural] = "rural"
    customer_ids = np.array([f"C{i + 1:06d}" for i in range(n_customers)], dtype=object)

    # Potential: log-normal, larger for key accounts and dealers.
    potential = rng.lognormal(mean=np.log(60_000), sigma=0.9, size=n_customers)
    potential[:n_dealers] *= 8.0
    potential[n_dealers:][key_account] *= 4.0
    # The main dealer-supplied stores (largest potential) are key accounts too: company
    # reps serve them. Chosen without random draws, so the seeds' regions stay as they were.
    supplied = np.flatnonzero(~direct)
    n_key = round(KEY_DEALER_STORE_SHARE * len(supplied))
    if n_key:
        largest = supplied[np.argsort(-potential[n_dealers:][supplied], kind="stable")[:n_key]]
        key_account = key_account.copy()
        key_account[largest] = True
    relationship = np.clip(np.round(rng.normal(3.2, 1.1, size=n_customers)), 1, 5).astype(int)

    hours = rng.choice(len(_OPENING_HOURS), size=n_customers, p=[h[2] for h in _OPENING_HOURS])
    opens = np.array([_OPENING_HOURS[h][0] for h in hours], dtype=object)
    closes = np.array([_OPENING_HOURS[h][1] for h in hours], dtype=object)
    opens[:n_dealers] = "08:00"
    closes[:n_dealers] = "17:00"

    customers = pd.DataFrame(
        {
            "customer_id": customer_ids,
            "name": [
                f"{'Dealer' if k == 'dealer' else 'Store'} {i[1:]}"
                for k, i in zip(kind, customer_ids, strict=True)
            ],
            "kind": kind,
            "dealer_id": pd.Series(
                np.concatenate([[None] * n_dealers, store_dealer]), dtype=object
            ),
            "key_account": np.concatenate([np.zeros(n_dealers, bool), key_account]),
            "town": towns,
            "lon": lon,
            "lat": lat,
            "opens": opens,
            "closes": closes,
            "potential": np.round(potential, -2),
            "relationship": relationship,
        }
    )
    dealers = pd.DataFrame(
        {
            "dealer_id": dealer_ids,
            "name": [f"Dealer {i[1:]}" for i in dealer_ids],
            "customer_id": customer_ids[:n_dealers],
            "town": town_names[dealer_town],
            "lon": lon[:n_dealers],
            "lat": lat[:n_dealers],
        }
    )
    reps = _reps(customers, dealers, rng)
    sales = _sales(customers, rng, end_month=end_month, months=months)
    return SampleRegion(
        customers=customers,
        reps=_supervisors(reps),
        dealers=dealers,
        sales=sales,
        seed=seed,
        product_sales=_product_sales(sales, seed=seed, months=months),
    )


def _reps(customers: pd.DataFrame, dealers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Company reps for dealers and direct stores; each dealer's own reps for its stores."""
    rows: list[dict[str, object]] = []
    company = customers[customers["dealer_id"].isna()]
    n_company = max(1, math.ceil(len(company) / CUSTOMERS_PER_REP))
    homes = _homes(company, n_company, rng)
    for hlon, hlat in homes:
        rows.append(
            {
                "rep_id": f"R{len(rows) + 1:04d}",
                "kind": "company",
                "dealer_id": None,
                "home_lon": hlon,
                "home_lat": hlat,
            }
        )
    for dealer_id in dealers["dealer_id"]:
        own = customers[customers["dealer_id"] == dealer_id]
        n_own = max(1, math.ceil(len(own) / CUSTOMERS_PER_REP))
        for hlon, hlat in _homes(own, n_own, rng):
            rows.append(
                {
                    "rep_id": f"R{len(rows) + 1:04d}",
                    "kind": "dealer",
                    "dealer_id": dealer_id,
                    "home_lon": hlon,
                    "home_lat": hlat,
                }
            )
    reps = pd.DataFrame(rows)
    reps.insert(1, "name", [f"Rep {r[1:]}" for r in reps["rep_id"]])
    reps["dealer_id"] = reps["dealer_id"].astype(object)
    reps["day_start"] = rng.choice(["08:00", "08:30"], size=len(reps), p=[0.7, 0.3])
    reps["day_end"] = np.where(reps["day_start"] == "08:00", "16:30", "17:00")
    reps["weekdays"] = "Mon-Fri"
    reps["lunch_start"] = "12:00"
    reps["lunch_minutes"] = 30
    return reps


def _supervisors(reps: pd.DataFrame) -> pd.DataFrame:
    """``supervisor_id``: the nearest company rep for dealer reps, area managers above."""
    out = reps.copy()
    company = np.flatnonzero((out["kind"] == "company").to_numpy())
    homes = out[["home_lon", "home_lat"]].to_numpy(dtype=float)
    boss = np.full(len(out), None, dtype=object)
    west_to_east = company[np.argsort(homes[company, 0], kind="stable")]
    for rank, r in enumerate(west_to_east):
        boss[r] = f"AM{rank // REPS_PER_AREA_MANAGER + 1:02d}"
    dealer = np.flatnonzero((out["kind"] == "dealer").to_numpy())
    if len(company) and len(dealer):
        nearest = cKDTree(homes[company]).query(homes[dealer])[1]
        boss[dealer] = out["rep_id"].to_numpy(dtype=object)[company[nearest]]
    out["supervisor_id"] = pd.Series(boss, index=out.index, dtype=object)
    return out


def _product_sales(sales: pd.DataFrame, *, seed: int, months: int) -> pd.DataFrame:
    """Split each customer-month of ``sales`` into the product lines (exact sums).

    Uses its own random stream (from ``seed``), so adding it changed none of the other
    tables of a seed.
    """
    rng = np.random.default_rng([seed, 2])
    customers = sales["customer_id"].drop_duplicates().to_numpy(dtype=object)
    adopted = rng.random(len(customers)) < NEW_LINE_ADOPTION
    share = dict(
        zip(
            customers,
            np.where(adopted, rng.uniform(*NEW_LINE_SHARE, size=len(customers)), 0.0),
            strict=True,
        )
    )
    launch = sorted(sales["month"].unique())[-min(NEW_LINE_MONTHS, months) :]
    new = sales[sales["month"].isin(launch)].copy()
    new["sales"] = np.round(new["sales"].to_numpy() * new["customer_id"].map(share).to_numpy(), 2)
    new = new[new["sales"] > 0]
    core = sales.copy()
    taken = new.set_index(["customer_id", "month"])["sales"]
    index = pd.MultiIndex.from_frame(core[["customer_id", "month"]])
    core["sales"] = np.round(
        core["sales"].to_numpy() - taken.reindex(index).fillna(0.0).to_numpy(), 2
    )
    core["product_line"] = PRODUCT_LINES[0]
    new["product_line"] = PRODUCT_LINES[1]
    columns = ["customer_id", "month", "product_line", "sales"]
    return (
        pd.concat([core[columns], new[columns]], ignore_index=True)
        .sort_values(["customer_id", "month", "product_line"], kind="stable")
        .reset_index(drop=True)
    )


def _homes(customers: pd.DataFrame, k: int, rng: np.random.Generator) -> np.ndarray:
    """Home locations near ``k`` spread-out customers (a few Lloyd steps of k-means)."""
    pts = customers[["lon", "lat"]].to_numpy(dtype=float)
    if len(pts) == 0:
        return np.zeros((k, 2))
    centres = weighted_kmeans(pts, None, min(k, len(pts)), rng, steps=8, init="random")
    # A rep lives at the customer nearest the centre of their patch, a little aside.
    nearest = cKDTree(pts).query(centres)[1]
    homes = pts[nearest] + rng.normal(0, 0.004, size=(len(centres), 2))
    if len(homes) < k:
        homes = np.vstack([homes, homes[rng.integers(0, len(homes), size=k - len(homes))]])
    return np.asarray(homes, dtype=float)


def _sales(
    customers: pd.DataFrame, rng: np.random.Generator, *, end_month: str, months: int
) -> pd.DataFrame:
    """Monthly sales with trend, seasonality, noise, late starters and a few without sales."""
    n = len(customers)
    periods = pd.period_range(end=pd.Period(end_month, freq="M"), periods=months, freq="M")
    month_of_year = np.array([p.month for p in periods]) - 1
    relationship = customers["relationship"].to_numpy(dtype=float)
    share = np.clip(0.15 + 0.12 * relationship + rng.normal(0, 0.08, n), 0.05, 0.95)
    base = customers["potential"].to_numpy(dtype=float) * share / 12.0
    growth = rng.normal(0.04, 0.10, n)  # annual trend
    t = np.arange(months) - (months - 1)
    trend = (1.0 + growth[:, None]) ** (t[None, :] / 12.0)
    noise = rng.lognormal(0.0, 0.18, size=(n, months))
    values = base[:, None] * trend * SEASONALITY[month_of_year][None, :] * noise
    started = rng.integers(0, months, size=n)
    late = rng.random(n) < 0.06
    values[late] *= np.arange(months)[None, :] >= started[late, None]
    none = rng.random(n) < 0.02
    values[none] = 0.0
    return pd.DataFrame(
        {
            "customer_id": np.repeat(customers["customer_id"].to_numpy(dtype=object), months),
            "month": np.tile(np.array([str(p) for p in periods], dtype=object), n),
            "sales": np.round(values.ravel(), 2),
        }
    )
